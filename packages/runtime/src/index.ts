// @diff2in1/runtime — under construction in this change; see its issue.
export {};
