//! Settings layers, their merge, and the settings JSON Schema.
