mod fixtures;
mod malformed;
mod round_trip;
mod schema;
mod typed_payloads;
