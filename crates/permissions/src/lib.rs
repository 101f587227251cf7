//! Permission rules, modes, shell-command analysis and the pure decide() function.
