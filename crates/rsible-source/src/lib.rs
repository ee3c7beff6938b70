//! Where a value came from, and how an error that points at it is shown.
//!
//! Every file rsible reads (playbooks, roles, vars files, templates) is registered in one
//! process-wide [`SourceMap`], so a [`Span`] is a small `Copy` value that any crate can carry and
//! only the renderer needs to resolve.

mod diagnostic;
pub mod glob;
mod source_map;
mod span;
mod warnings;

pub use diagnostic::{Diagnostic, Severity};
pub use source_map::{SourceFile, SourceMap};
pub use span::{Position, SourceId, Span};
pub use warnings::{push_warning, take_warnings};
