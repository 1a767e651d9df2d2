//! The engine: in-memory picks, sequences of picks, commit selection and patch identity.

pub mod blame;
pub mod dir_renames;
pub mod linearise;
pub mod patch_id;
pub mod pick;
pub mod renames;
pub mod replay;
pub mod rerere;
pub mod select;
pub mod trailers;
