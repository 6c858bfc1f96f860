//! The server's integration tests, one binary: each module boots the real application (or runs
//! the real `replydesk` binary) and speaks to it as Meta, the dashboard or an operator does.
//! One binary links the server once instead of once per file.

#[macro_use]
mod common;

mod ai;
mod analytics;
mod architecture;
mod audit;
mod auth;
mod backup;
mod cli;
mod crash_recovery;
mod deploy;
mod first_run;
mod fuzz;
mod graph_client;
mod health;
mod hostile_files;
mod inbox;
mod inbox_tools;
mod jobs;
mod knowledge;
mod media;
mod outbound;
mod prompts;
mod push;
mod request_log;
mod settings;
mod webhook;
