// @diff2in1/datasets — under construction in this change; see its issue.
export {};
