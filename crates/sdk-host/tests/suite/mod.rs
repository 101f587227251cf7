mod binary;
mod driver;
mod protocol;
mod real_sdks;
