use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{
    DocumentDetail, DocumentMeta, DocumentView, EntryInput, KnowledgeQuery, Library, SearchHit,
};

#[server(prefix = "/api", endpoint = "knowledge/library", input = Json, output = Json)]
pub async fn knowledge_library() -> Result<Library, AppError> {
    super::caller()?.owner()?;
    super::state()?.knowledge.library().await
}

#[server(prefix = "/api", endpoint = "knowledge/document", input = Json, output = Json)]
pub async fn knowledge_document(id: i32) -> Result<DocumentDetail, AppError> {
    super::caller()?.owner()?;
    super::state()?.knowledge.document(id).await
}

#[server(prefix = "/api", endpoint = "knowledge/update", input = Json, output = Json)]
pub async fn update_document(id: i32, meta: DocumentMeta) -> Result<DocumentView, AppError> {
    super::caller()?.owner()?;
    super::state()?.knowledge.update_meta(id, meta).await
}

#[server(prefix = "/api", endpoint = "knowledge/delete", input = Json, output = Json)]
pub async fn delete_document(id: i32) -> Result<(), AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.knowledge.delete(id).await;
    super::audited(
        &caller,
        "document_deleted",
        format!("Document #{id}"),
        result,
    )
    .await
}

#[server(prefix = "/api", endpoint = "knowledge/entry", input = Json, output = Json)]
pub async fn save_entry(
    #[server(default)] id: Option<i32>,
    entry: EntryInput,
) -> Result<DocumentView, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let knowledge = super::state()?.knowledge;
    let title = entry.title.clone();
    let result = match id {
        Some(id) => knowledge.update_entry(id, entry).await,
        None => knowledge.create_entry(entry).await,
    };
    super::audited(&caller, "document_saved", title, result).await
}

#[server(prefix = "/api", endpoint = "knowledge/search", input = Json, output = Json)]
pub async fn search_knowledge(query: KnowledgeQuery) -> Result<Vec<SearchHit>, AppError> {
    super::caller()?.owner()?;
    super::state()?.knowledge.search(query).await
}
