mod account;
mod home;
mod knowledge;
mod login;
mod not_found;
mod setup;

pub use account::AccountPage;
pub use home::HomePage;
pub use knowledge::{DocumentPage, KnowledgePage};
pub use login::LoginPage;
pub use not_found::NotFound;
pub use setup::SetupPage;
