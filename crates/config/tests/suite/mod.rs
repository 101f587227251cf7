mod fixture;
mod import;
mod layers;
mod merge;
mod problems;
mod table;
