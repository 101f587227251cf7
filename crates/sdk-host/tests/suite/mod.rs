mod driver;
mod protocol;
mod python_sdk;
