mod driver;
mod protocol;
