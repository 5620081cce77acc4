// @diff2in1/tasks — under construction in this change; see its issue.
export {};
