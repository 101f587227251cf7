mod context;
mod registry;
mod typed;
