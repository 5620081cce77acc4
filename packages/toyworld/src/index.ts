// @diff2in1/toyworld — under construction in this change; see its issue.
export {};
