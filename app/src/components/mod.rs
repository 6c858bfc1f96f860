pub mod feedback;
pub mod form;
pub mod layout;
pub mod theme;
