//! The whole data model, designed up front so later features extend it instead of rewriting it.
//!
//! Conventions, identical on both engines:
//! - ids are integer autoincrement keys; WhatsApp's own ids (`wa_id`, `wamid`) are unique text;
//! - times are `timestamp with time zone`, always written by the application in UTC (no database
//!   defaults: SQLite's `CURRENT_TIMESTAMP` would use another text format and break ordering);
//! - JSON is stored as text and (de)serialised by the application;
//! - money is integer micro-dollars (`cost_micros`), never floating point.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000001_initial_schema"
    }
}

fn id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

pub(crate) fn at<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn at_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

pub(crate) fn text_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

fn string<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

pub(crate) fn string_null<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().to_owned()
}

fn int<T: IntoIden>(col: T, default: i32) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .default(default)
        .to_owned()
}

fn int_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).integer().null().to_owned()
}

pub(crate) fn big_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

pub(crate) fn flag<T: IntoIden>(col: T, default: bool) -> ColumnDef {
    ColumnDef::new(col)
        .boolean()
        .not_null()
        .default(default)
        .to_owned()
}

pub(crate) fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

pub(crate) fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // --- the owner and their sessions -------------------------------------------------------
        m.create_table(
            Table::create()
                .table(Owners::Table)
                .col(id(Owners::Id))
                .col(string(Owners::Email, 254).unique_key())
                .col(string(Owners::PasswordHash, 255))
                .col(at(Owners::CreatedAt))
                .col(at(Owners::UpdatedAt))
                .col(at_null(Owners::LastLoginAt))
                .to_owned(),
        )
        .await?;

        // Our own session store (tower-sessions' SessionStore over this table) so that ending
        // "every other session of this owner" is one indexed DELETE.
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Id, 64).primary_key())
                .col(int_null(Sessions::OwnerId))
                .col(text(Sessions::Data))
                .col(at(Sessions::ExpiresAt))
                .foreign_key(&mut fk(
                    "fk_sessions_owner",
                    (Sessions::Table, Sessions::OwnerId),
                    (Owners::Table, Owners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sessions_owner", Sessions::Table, &["owner_id"]))
            .await?;
        m.create_index(index(
            "ix_sessions_expires",
            Sessions::Table,
            &["expires_at"],
        ))
        .await?;

        // Failed logins, kept in the database so throttling survives restarts and holds across
        // replicas. Pruned after the throttle window.
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(id(LoginFailures::Id))
                .col(string(LoginFailures::Email, 254))
                .col(string(LoginFailures::Ip, 64))
                .col(at(LoginFailures::At))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_login_failures_email",
            LoginFailures::Table,
            &["email", "at"],
        ))
        .await?;
        m.create_index(index(
            "ix_login_failures_ip",
            LoginFailures::Table,
            &["ip", "at"],
        ))
        .await?;

        // --- customers and conversations --------------------------------------------------------
        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(id(Customers::Id))
                // WhatsApp's user id: a phone number today, a username-style id for some users.
                .col(string(Customers::WaId, 64).unique_key())
                .col(string_null(Customers::Phone, 32))
                .col(string_null(Customers::ProfileName, 256))
                .col(string_null(Customers::DisplayName, 256))
                .col(text(Customers::Notes).default(""))
                .col(text(Customers::Tags).default("[]"))
                .col(at(Customers::FirstSeenAt))
                .col(at(Customers::LastSeenAt))
                .col(at(Customers::CreatedAt))
                .col(at(Customers::UpdatedAt))
                .to_owned(),
        )
        .await?;

        // One conversation per customer: WhatsApp has one thread per number; closing and
        // reopening changes its status, not its identity.
        m.create_table(
            Table::create()
                .table(Conversations::Table)
                .col(id(Conversations::Id))
                .col(
                    ColumnDef::new(Conversations::CustomerId)
                        .integer()
                        .not_null()
                        .unique_key(),
                )
                // open | closed | archived
                .col(string(Conversations::Status, 16).default("open"))
                .col(flag(Conversations::AiEnabled, true))
                // none | requested | human
                .col(string(Conversations::Handoff, 16).default("none"))
                .col(text_null(Conversations::HandoffReason))
                .col(at_null(Conversations::AiPausedUntil))
                .col(flag(Conversations::Priority, false))
                .col(int(Conversations::UnreadCount, 0))
                .col(at_null(Conversations::LastInboundAt))
                .col(at_null(Conversations::LastMessageAt))
                .col(string_null(Conversations::LastMessagePreview, 200))
                .col(text(Conversations::Tags).default("[]"))
                .col(at(Conversations::CreatedAt))
                .col(at(Conversations::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_conversations_customer",
                    (Conversations::Table, Conversations::CustomerId),
                    (Customers::Table, Customers::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // The inbox lists newest activity first, optionally filtered by status.
        m.create_index(index(
            "ix_conversations_last_message",
            Conversations::Table,
            &["last_message_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_conversations_status_last_message",
            Conversations::Table,
            &["status", "last_message_at"],
        ))
        .await?;

        // --- knowledge --------------------------------------------------------------------------
        m.create_table(
            Table::create()
                .table(Documents::Table)
                .col(id(Documents::Id))
                // Generated name of the stored file under DATA_DIR; the original name is display only.
                .col(string(Documents::StorageKey, 64).unique_key())
                .col(string(Documents::Title, 512))
                .col(string_null(Documents::OriginalName, 512))
                // pdf | docx | txt | md | html | csv | faq | note
                .col(string(Documents::Kind, 16))
                .col(string_null(Documents::Mime, 128))
                .col(
                    ColumnDef::new(Documents::SizeBytes)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(string_null(Documents::Sha256, 64))
                // processing | ready | error
                .col(string(Documents::Status, 16).default("processing"))
                .col(text_null(Documents::Error))
                .col(text_null(Documents::SourceText))
                .col(text_null(Documents::ExtractedText))
                .col(string_null(Documents::Category, 128))
                .col(text(Documents::Tags).default("[]"))
                .col(int(Documents::ChunkCount, 0))
                .col(int(Documents::Version, 1))
                .col(at(Documents::CreatedAt))
                .col(at(Documents::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_documents_created",
            Documents::Table,
            &["created_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Chunks::Table)
                .col(id(Chunks::Id))
                .col(ColumnDef::new(Chunks::DocumentId).integer().not_null())
                .col(int(Chunks::Position, 0))
                .col(text(Chunks::HeadingPath).default(""))
                .col(text(Chunks::Content))
                .col(int(Chunks::CharStart, 0))
                .col(int(Chunks::CharEnd, 0))
                .col(at(Chunks::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_chunks_document",
                    (Chunks::Table, Chunks::DocumentId),
                    (Documents::Table, Documents::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_chunks_document_position",
            Chunks::Table,
            &["document_id", "position"],
        ))
        .await?;

        // --- messages ---------------------------------------------------------------------------
        m.create_table(
            Table::create()
                .table(Messages::Table)
                .col(id(Messages::Id))
                .col(
                    ColumnDef::new(Messages::ConversationId)
                        .integer()
                        .not_null(),
                )
                // inbound | outbound
                .col(string(Messages::Direction, 8))
                // customer | ai | agent | system
                .col(string(Messages::Sender, 8))
                // text | image | audio | video | document | sticker | location | contacts |
                // interactive | button | reaction | order | system | template | unsupported
                .col(string(Messages::Kind, 16))
                .col(text(Messages::Body).default(""))
                // WhatsApp's message id; unique so a webhook retried by Meta is a no-op.
                .col(string_null(Messages::Wamid, 128).unique_key())
                // received | queued | sent | delivered | read | played | failed
                .col(string(Messages::Status, 16))
                .col(at_null(Messages::StatusAt))
                .col(int_null(Messages::ErrorCode))
                .col(string_null(Messages::ErrorTitle, 256))
                .col(text_null(Messages::ErrorDetail))
                .col(string_null(Messages::ReplyToWamid, 128))
                .col(int_null(Messages::ReplyToId))
                .col(string_null(Messages::MediaId, 128))
                .col(string_null(Messages::MediaPath, 256))
                .col(string_null(Messages::MediaMime, 128))
                .col(big_null(Messages::MediaSize))
                .col(string_null(Messages::MediaSha256, 64))
                // none | pending | ready | failed
                .col(string_null(Messages::MediaStatus, 16))
                .col(text_null(Messages::Raw))
                .col(string_null(Messages::Provider, 64))
                .col(string_null(Messages::Model, 128))
                .col(int_null(Messages::TokensIn))
                .col(int_null(Messages::TokensOut))
                .col(big_null(Messages::CostMicros))
                .col(int_null(Messages::LatencyMs))
                .col(text(Messages::CitedChunkIds).default("[]"))
                // When WhatsApp says it was sent (inbound) or when we created it (outbound).
                .col(at(Messages::SentAt))
                .col(at(Messages::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_messages_conversation",
                    (Messages::Table, Messages::ConversationId),
                    (Conversations::Table, Conversations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // A thread pages by id within its conversation; analytics scan by time.
        m.create_index(index(
            "ix_messages_conversation_id",
            Messages::Table,
            &["conversation_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_messages_created",
            Messages::Table,
            &["created_at"],
        ))
        .await?;

        // --- prompts, settings, usage -----------------------------------------------------------
        m.create_table(
            Table::create()
                .table(PromptTemplates::Table)
                .col(id(PromptTemplates::Id))
                // Built-ins carry a slug and a version so releases can update them; owner
                // templates have no slug and are never touched by an upgrade.
                .col(string_null(PromptTemplates::Slug, 64).unique_key())
                .col(string(PromptTemplates::Name, 128))
                .col(string_null(PromptTemplates::Industry, 64))
                .col(text(PromptTemplates::Body))
                .col(flag(PromptTemplates::IsBuiltin, false))
                .col(int(PromptTemplates::BuiltinVersion, 0))
                .col(flag(PromptTemplates::IsActive, false))
                .col(at(PromptTemplates::CreatedAt))
                .col(at(PromptTemplates::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(string(Settings::Key, 128).primary_key())
                .col(text(Settings::Value))
                .col(flag(Settings::IsSecret, false))
                .col(at(Settings::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LlmUsage::Table)
                .col(id(LlmUsage::Id))
                .col(int_null(LlmUsage::MessageId))
                .col(int_null(LlmUsage::ConversationId))
                // reply | try | test
                .col(string(LlmUsage::Purpose, 16))
                .col(string(LlmUsage::Provider, 64))
                .col(string(LlmUsage::Model, 128))
                .col(int(LlmUsage::TokensIn, 0))
                .col(int(LlmUsage::TokensOut, 0))
                .col(
                    ColumnDef::new(LlmUsage::CostMicros)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(int(LlmUsage::LatencyMs, 0))
                .col(flag(LlmUsage::Ok, true))
                .col(text_null(LlmUsage::Error))
                .col(at(LlmUsage::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_llm_usage_message",
                    (LlmUsage::Table, LlmUsage::MessageId),
                    (Messages::Table, Messages::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_llm_usage_conversation",
                    (LlmUsage::Table, LlmUsage::ConversationId),
                    (Conversations::Table, Conversations::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_llm_usage_created",
            LlmUsage::Table,
            &["created_at"],
        ))
        .await?;

        // --- durable work and push catch-up -----------------------------------------------------
        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(id(Jobs::Id))
                .col(string(Jobs::Kind, 64))
                .col(text(Jobs::Payload))
                // queued | running | done | dead
                .col(string(Jobs::Status, 16))
                .col(int(Jobs::Attempts, 0))
                .col(int(Jobs::MaxAttempts, 5))
                .col(at(Jobs::RunAt))
                .col(string_null(Jobs::LockedBy, 64))
                .col(at_null(Jobs::LockedUntil))
                .col(text_null(Jobs::LastError))
                // Enqueueing the same work twice (a retried webhook) is a no-op.
                .col(string_null(Jobs::DedupeKey, 191).unique_key())
                .col(at(Jobs::CreatedAt))
                .col(at(Jobs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_jobs_claim", Jobs::Table, &["status", "run_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(id(Events::Id))
                .col(string(Events::Kind, 64))
                .col(text(Events::Payload))
                .col(at(Events::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_events_created", Events::Table, &["created_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(id(AuditLog::Id))
                .col(int_null(AuditLog::OwnerId))
                .col(string(AuditLog::Action, 64))
                .col(text(AuditLog::Detail).default(""))
                .col(string_null(AuditLog::Ip, 64))
                .col(at(AuditLog::At))
                .foreign_key(&mut fk(
                    "fk_audit_log_owner",
                    (AuditLog::Table, AuditLog::OwnerId),
                    (Owners::Table, Owners::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_audit_log_at", AuditLog::Table, &["at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents so foreign keys never block the drop.
        for table in [
            AuditLog::Table.into_iden(),
            Events::Table.into_iden(),
            Jobs::Table.into_iden(),
            LlmUsage::Table.into_iden(),
            Settings::Table.into_iden(),
            PromptTemplates::Table.into_iden(),
            Messages::Table.into_iden(),
            Chunks::Table.into_iden(),
            Documents::Table.into_iden(),
            Conversations::Table.into_iden(),
            Customers::Table.into_iden(),
            LoginFailures::Table.into_iden(),
            Sessions::Table.into_iden(),
            Owners::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Owners {
    Table,
    Id,
    Email,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    OwnerId,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Email,
    Ip,
    At,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    WaId,
    Phone,
    ProfileName,
    DisplayName,
    Notes,
    Tags,
    FirstSeenAt,
    LastSeenAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    CustomerId,
    Status,
    AiEnabled,
    Handoff,
    HandoffReason,
    AiPausedUntil,
    Priority,
    UnreadCount,
    LastInboundAt,
    LastMessageAt,
    LastMessagePreview,
    Tags,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    StorageKey,
    Title,
    OriginalName,
    Kind,
    Mime,
    SizeBytes,
    Sha256,
    Status,
    Error,
    SourceText,
    ExtractedText,
    Category,
    Tags,
    ChunkCount,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Chunks {
    Table,
    Id,
    DocumentId,
    Position,
    HeadingPath,
    Content,
    CharStart,
    CharEnd,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    Direction,
    Sender,
    Kind,
    Body,
    Wamid,
    Status,
    StatusAt,
    ErrorCode,
    ErrorTitle,
    ErrorDetail,
    ReplyToWamid,
    ReplyToId,
    MediaId,
    MediaPath,
    MediaMime,
    MediaSize,
    MediaSha256,
    MediaStatus,
    Raw,
    Provider,
    Model,
    TokensIn,
    TokensOut,
    CostMicros,
    LatencyMs,
    CitedChunkIds,
    SentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PromptTemplates {
    Table,
    Id,
    Slug,
    Name,
    Industry,
    Body,
    IsBuiltin,
    BuiltinVersion,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
    IsSecret,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LlmUsage {
    Table,
    Id,
    MessageId,
    ConversationId,
    Purpose,
    Provider,
    Model,
    TokensIn,
    TokensOut,
    CostMicros,
    LatencyMs,
    Ok,
    Error,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedBy,
    LockedUntil,
    LastError,
    DedupeKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OwnerId,
    Action,
    Detail,
    Ip,
    At,
}
