mod binary;
mod harness;
mod load;
mod permissions;
mod prompts;
mod session_hooks;
