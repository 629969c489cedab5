//! The `crier` command-line tool: a thin shell over the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    crier::cli::main()
}
