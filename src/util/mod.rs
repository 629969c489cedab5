//! Small helpers used by more than one stage of the pipeline (including the shutdown signal
//! that the sender, the server and the daemon all watch). They depend on nothing else in
//! crier, so no stage has to import another stage just for a helper.

pub mod html;
pub mod input;
pub mod names;
pub mod random;
pub mod shutdown;
pub mod time;
pub mod yaml;
pub mod yaml_guard;

pub use html::escape_html;
pub use time::in_zone;
pub use yaml::key_line;
