//! The service layer, between the doors (`cli`, `server`, `daemon`) and the rooms below.
