// @diff2in1/graph — under construction in this change; see its issue.
export {};
