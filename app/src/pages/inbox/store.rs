//! The inbox's state in the browser, and the requests that keep it current.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Attention;
use crate::api::inbox::{list_conversations, mark_read, read_conversation, read_thread};
use crate::browser;
use crate::error::{AppError, ErrorKind};
use crate::model::{ConversationQuery, ConversationSummary, MessageView, Thread};

/// The list's filters, as the owner set them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub status: Option<String>,
    pub ai: Option<bool>,
    pub needs_human: bool,
    pub search: String,
}

/// Everything the inbox shows, as signals: copied into every component that needs it.
#[derive(Clone, Copy)]
pub struct Store {
    pub selected: Memo<Option<i32>>,
    pub filters: RwSignal<Filters>,
    pub rows: RwSignal<Vec<ConversationSummary>>,
    pub cursor: RwSignal<Option<String>>,
    pub list_loading: RwSignal<bool>,
    pub list_error: RwSignal<Option<AppError>>,
    /// Answers to older list requests (the owner kept typing) are dropped.
    list_generation: StoredValue<u64>,
    pub thread: RwSignal<Option<Thread>>,
    pub thread_error: RwSignal<Option<AppError>>,
    pub older_loading: RwSignal<bool>,
    /// The conversation whose AI is writing right now.
    pub typing: RwSignal<Option<i32>>,
    /// Whether the change stream is connected.
    pub live: RwSignal<bool>,
    /// A passing message ("3 conversations closed").
    pub notice: RwSignal<Option<String>>,
    /// Conversations ticked for a bulk action.
    pub selection: RwSignal<Vec<i32>>,
    /// Whether the customer panel is shown.
    pub panel_open: RwSignal<bool>,
    /// Bumped to make the panel read the customer again.
    pub panel_version: RwSignal<u32>,
    /// Shows the keyboard shortcuts.
    pub help_open: RwSignal<bool>,
    /// The tab title's count (absent outside the dashboard's `App`).
    attention: Option<Attention>,
}

/// Newest activity first; conversations without any at the end.
fn sort(rows: &mut [ConversationSummary]) {
    rows.sort_by(|a, b| {
        b.last_message_at
            .cmp(&a.last_message_at)
            .then(b.id.cmp(&a.id))
    });
}

/// Messages by id, oldest first, each once (the newer copy wins).
fn merge(existing: &mut Vec<MessageView>, incoming: Vec<MessageView>) {
    for message in incoming {
        match existing.iter_mut().find(|m| m.id == message.id) {
            Some(old) => *old = message,
            None => existing.push(message),
        }
    }
    existing.sort_by_key(|m| m.id);
}

impl Store {
    pub fn new(selected: Memo<Option<i32>>, attention: Option<Attention>) -> Self {
        Self {
            selected,
            filters: RwSignal::new(Filters::default()),
            rows: RwSignal::new(Vec::new()),
            cursor: RwSignal::new(None),
            list_loading: RwSignal::new(true),
            list_error: RwSignal::new(None),
            list_generation: StoredValue::new(0),
            thread: RwSignal::new(None),
            thread_error: RwSignal::new(None),
            older_loading: RwSignal::new(false),
            typing: RwSignal::new(None),
            live: RwSignal::new(false),
            notice: RwSignal::new(None),
            selection: RwSignal::new(Vec::new()),
            panel_open: RwSignal::new(false),
            panel_version: RwSignal::new(0),
            help_open: RwSignal::new(false),
            attention,
        }
    }

    fn query(&self, cursor: Option<String>) -> ConversationQuery {
        let f = self.filters.get_untracked();
        let search = f.search.trim().to_owned();
        ConversationQuery {
            status: f.status,
            ai: f.ai,
            needs_human: f.needs_human.then_some(true),
            search: (!search.is_empty()).then_some(search),
            cursor,
            limit: Some(40),
        }
    }

    /// Whether a conversation belongs in the list under the current filters.
    fn matches(&self, row: &ConversationSummary) -> bool {
        let f = self.filters.get_untracked();
        let search = f.search.trim().to_lowercase();
        f.status.as_ref().is_none_or(|s| *s == row.status)
            && f.ai.is_none_or(|ai| ai == row.ai_enabled)
            && (!f.needs_human || row.handoff == "requested")
            && (search.is_empty()
                || row.name.to_lowercase().contains(&search)
                || row.wa_id.contains(&search)
                || self
                    .rows
                    .with_untracked(|rows| rows.iter().any(|r| r.id == row.id)))
    }

    /// The first page again, for new filters or after the stream reconnected.
    pub fn reload_list(self) {
        let generation = self.list_generation.get_value() + 1;
        self.list_generation.set_value(generation);
        self.fetch_page(None, generation);
    }

    /// The next page of the list (infinite scroll).
    pub fn load_more(self) {
        let Some(cursor) = self.cursor.get_untracked() else {
            return;
        };
        if !self.list_loading.get_untracked() {
            self.fetch_page(Some(cursor), self.list_generation.get_value());
        }
    }

    /// Loads the page after `cursor` (the first when `None`, which replaces the list); dropped
    /// when the filters changed meanwhile (`generation`).
    fn fetch_page(self, cursor: Option<String>, generation: u64) {
        self.list_loading.set(true);
        let first = cursor.is_none();
        let query = self.query(cursor);
        spawn_local(async move {
            let result = list_conversations(query).await;
            if self.list_generation.try_get_value() != Some(generation) {
                return;
            }
            match result {
                Ok(page) => {
                    let _ = self.rows.try_update(|rows| {
                        if first {
                            rows.clear();
                        }
                        for item in page.items {
                            if !rows.iter().any(|r| r.id == item.id) {
                                rows.push(item);
                            }
                        }
                    });
                    let _ = self.cursor.try_set(page.next_cursor);
                    let _ = self.list_error.try_set(None);
                }
                Err(e) => {
                    let _ = self.list_error.try_set(Some(e));
                }
            }
            let _ = self.list_loading.try_set(false);
        });
    }

    /// Reads one conversation again and puts it where it now belongs (the top, after new
    /// activity), or out of the list when it no longer matches the filters. Whichever read first
    /// sees the unread count grow calls for attention (several may run for one message).
    pub fn refresh_row(self, id: i32) {
        spawn_local(async move {
            match read_conversation(id).await {
                Ok(row) => {
                    let before = self
                        .rows
                        .try_with_untracked(|rows| {
                            rows.iter().find(|r| r.id == id).map(|r| r.unread_count)
                        })
                        .flatten()
                        .unwrap_or(0);
                    let news = row.unread_count > before;
                    let keep = self.matches(&row);
                    if news {
                        let preview = row.last_message_preview.clone().unwrap_or_default();
                        self.call_attention(
                            id,
                            &format!("New message from {}", row.name),
                            &preview,
                        );
                    }
                    let _ = self.thread.try_update(|thread| {
                        if let Some(thread) = thread.as_mut().filter(|t| t.conversation.id == id) {
                            thread.conversation = row.clone();
                        }
                    });
                    let _ = self.rows.try_update(|rows| {
                        rows.retain(|r| r.id != id);
                        if keep {
                            rows.push(row);
                            sort(rows);
                        }
                    });
                    if news && self.selected.try_get_untracked().flatten() == Some(id) {
                        self.mark_read_if_unread(id);
                    }
                }
                Err(e) if e.kind == ErrorKind::NotFound => {
                    let _ = self.rows.try_update(|rows| rows.retain(|r| r.id != id));
                }
                Err(_) => {}
            }
        });
    }

    /// Opens conversation `id`: its newest messages.
    pub fn open_thread(self, id: i32) {
        if self
            .thread
            .with_untracked(|t| t.as_ref().is_some_and(|t| t.conversation.id == id))
        {
            return;
        }
        self.thread.set(None);
        self.thread_error.set(None);
        self.typing.set(None);
        spawn_local(async move {
            match read_thread(id, None, None).await {
                Ok(thread) if self.selected.try_get_untracked().flatten() == Some(id) => {
                    let unread = thread.conversation.unread_count > 0;
                    let _ = self.thread.try_set(Some(thread));
                    if unread {
                        self.mark_read_if_unread(id);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = self.thread_error.try_set(Some(e));
                }
            }
        });
    }

    /// The newest messages of the open conversation, merged into what is shown (older pages
    /// already loaded stay).
    pub fn merge_latest(self, id: i32) {
        spawn_local(async move {
            let Ok(latest) = read_thread(id, None, None).await else {
                return;
            };
            let last_outbound = latest
                .messages
                .last()
                .is_some_and(|m| m.direction == "outbound");
            let _ = self.thread.try_update(|thread| match thread {
                Some(thread) if thread.conversation.id == id => {
                    merge(&mut thread.messages, latest.messages);
                    thread.conversation = latest.conversation;
                    thread.ai_usage = latest.ai_usage;
                }
                _ => {}
            });
            if last_outbound && self.typing.try_get_untracked().flatten() == Some(id) {
                let _ = self.typing.try_set(None);
            }
        });
    }

    /// The page of messages before the oldest shown (scrolling up).
    pub fn load_older(self) {
        let Some((id, before)) = self.thread.with_untracked(|t| {
            t.as_ref()
                .and_then(|t| t.older_cursor.map(|c| (t.conversation.id, c)))
        }) else {
            return;
        };
        if self.older_loading.get_untracked() {
            return;
        }
        self.older_loading.set(true);
        spawn_local(async move {
            if let Ok(page) = read_thread(id, Some(before), None).await {
                let _ = self.thread.try_update(|thread| match thread {
                    Some(thread) if thread.conversation.id == id => {
                        merge(&mut thread.messages, page.messages);
                        thread.older_cursor = page.older_cursor;
                    }
                    _ => {}
                });
            }
            let _ = self.older_loading.try_set(false);
        });
    }

    /// Clears the unread count of a conversation the owner is looking at.
    pub fn mark_read_if_unread(self, id: i32) {
        if !browser::tab_visible() {
            return;
        }
        spawn_local(async move {
            let _ = mark_read(id).await;
        });
    }

    /// After the stream (re)connected: the list and the open thread as they are now.
    pub fn resync(self) {
        self.reload_list();
        if let Some(id) = self.selected.get_untracked() {
            self.merge_latest(id);
        }
    }

    /// Counts a new customer message or hand-off in the tab's title and shows a notification,
    /// while the owner is not looking at this tab.
    pub fn call_attention(self, conversation_id: i32, title: &str, body: &str) {
        if browser::tab_visible() {
            return;
        }
        if let Some(attention) = self.attention {
            let _ = attention.unseen.try_update(|n| *n += 1);
        }
        browser::notify(title, body, format!("/inbox/{conversation_id}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i32, status: &str) -> MessageView {
        MessageView {
            status: status.into(),
            ..MessageView::example(id, "text", "outbound", &format!("m{id}"), None)
        }
    }

    #[test]
    fn merging_keeps_order_and_takes_the_newer_copy() {
        let mut shown = vec![message(3, "sent"), message(4, "queued")];
        merge(
            &mut shown,
            vec![
                message(4, "delivered"),
                message(5, "queued"),
                message(1, "read"),
            ],
        );
        let ids: Vec<i32> = shown.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 3, 4, 5]);
        assert_eq!(shown[2].status, "delivered");
    }
}
