//! Deadlines, budgets and cancellation.
