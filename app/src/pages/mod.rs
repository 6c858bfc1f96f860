mod account;
mod ai;
mod home;
mod knowledge;
mod login;
mod not_found;
mod prompts;
mod setup;
mod simulator;

pub use account::AccountPage;
pub use ai::AiPage;
pub use home::HomePage;
pub use knowledge::{DocumentPage, KnowledgePage};
pub use login::LoginPage;
pub use not_found::NotFound;
pub use prompts::PromptsPage;
pub use setup::SetupPage;
pub use simulator::SimulatorPage;
