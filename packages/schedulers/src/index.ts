// @diff2in1/schedulers — under construction in this change; see its issue.
export {};
