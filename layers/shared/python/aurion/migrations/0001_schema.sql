-- Helpdesk data the analytics endpoints read, plus the tables analytics itself owns
-- (exports, schedules, audit log, API keys). Every tenant table carries tenant_id and is
-- protected by row-level security (see 0002_row_level_security.sql).

CREATE TABLE tenants (
    id               uuid PRIMARY KEY,
    slug             text NOT NULL UNIQUE,
    name             text NOT NULL,
    plan             text NOT NULL CHECK (plan IN ('starter', 'professional', 'enterprise')),
    -- Enabled products decide the unified-overview profile: voice, helpdesk, knowledge_base.
    products         text[] NOT NULL DEFAULT '{}'
                     CHECK (products <@ ARRAY['voice', 'helpdesk', 'knowledge_base']::text[]),
    api_keys_enabled boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX teams_tenant_idx ON teams (tenant_id, name);

CREATE TABLE users (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    team_id    uuid REFERENCES teams (id) ON DELETE SET NULL,
    name       text NOT NULL,
    email      text NOT NULL,
    role       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant_idx ON users (tenant_id);

CREATE TABLE contacts (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               text NOT NULL,
    email              text,
    phone              text,
    -- Suppression events: when mail to the contact hard-bounced or they marked it as spam.
    email_bounced_at   timestamptz,
    email_complained_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_tenant_idx ON contacts (tenant_id);

CREATE TABLE email_channels (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    address    text NOT NULL,
    status     text NOT NULL CHECK (status IN ('active', 'inactive', 'error')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_channels_tenant_idx ON email_channels (tenant_id);

CREATE TABLE help_center_articles (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title        text NOT NULL,
    slug         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    published_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);

CREATE TABLE conversations (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel               text NOT NULL CHECK (channel IN ('email', 'chat', 'voice', 'whatsapp', 'sms', 'web')),
    priority              text NOT NULL CHECK (priority IN ('urgent', 'high', 'medium', 'low')),
    status                text NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    subject               text NOT NULL,
    topic                 text,
    contact_id            uuid REFERENCES contacts (id) ON DELETE SET NULL,
    assignee_user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    team_id               uuid REFERENCES teams (id) ON DELETE SET NULL,
    email_channel_id      uuid REFERENCES email_channels (id) ON DELETE SET NULL,
    -- The help-center article the AI answered from, when it resolved the conversation with one.
    kb_article_id         uuid REFERENCES help_center_articles (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL,
    first_response_at     timestamptz,
    resolved_at           timestamptz,
    resolved_by           text CHECK (resolved_by IN ('ai', 'human')),
    escalated             boolean NOT NULL DEFAULT false,
    -- SLA targets: null when no SLA policy applied to the conversation.
    first_response_due_at timestamptz,
    resolution_due_at     timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX conversations_tenant_created_idx ON conversations (tenant_id, created_at);

CREATE TABLE csat_surveys (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    contact_id      uuid REFERENCES contacts (id) ON DELETE SET NULL,
    channel         text NOT NULL,
    sent_at         timestamptz NOT NULL,
    responded_at    timestamptz,
    rating          smallint CHECK (rating BETWEEN 1 AND 5),
    comment         text,
    followup_answer text,
    CHECK (rating IS NULL OR responded_at IS NOT NULL)
);
-- Responses are placed in a range by when they were given (docs/metrics.md).
CREATE INDEX csat_surveys_tenant_responded_idx ON csat_surveys (tenant_id, responded_at);

CREATE TABLE article_views (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    article_id              uuid NOT NULL REFERENCES help_center_articles (id) ON DELETE CASCADE,
    viewed_at               timestamptz NOT NULL,
    contact_id              uuid,
    -- Set when the reader went on to open a conversation within 24 hours: the view did not deflect.
    led_to_conversation_id  uuid
);
CREATE INDEX article_views_tenant_viewed_idx ON article_views (tenant_id, viewed_at);

CREATE TABLE article_feedback (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    article_id uuid NOT NULL REFERENCES help_center_articles (id) ON DELETE CASCADE,
    helpful    boolean NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX article_feedback_tenant_created_idx ON article_feedback (tenant_id, created_at);

CREATE TABLE email_messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email_channel_id uuid NOT NULL REFERENCES email_channels (id) ON DELETE CASCADE,
    conversation_id  uuid REFERENCES conversations (id) ON DELETE CASCADE,
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    sent_at          timestamptz NOT NULL
);
CREATE INDEX email_messages_tenant_sent_idx ON email_messages (tenant_id, sent_at);

CREATE TABLE calls (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    phone_number          text NOT NULL,               -- E.164, e.g. +33612345678
    -- Digits of the number, reversed: "ends with 5678" becomes the index-friendly prefix "8765".
    phone_digits_reversed text GENERATED ALWAYS AS (reverse(regexp_replace(phone_number, '[^0-9]', '', 'g'))) STORED,
    direction             text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    started_at            timestamptz NOT NULL,
    ended_at              timestamptz,
    duration_seconds      integer CHECK (duration_seconds >= 0),
    status                text NOT NULL CHECK (status IN ('completed', 'failed')),
    outcome               text NOT NULL CHECK (outcome IN
                          ('resolved', 'ticket_created', 'escalated', 'transferred', 'voicemail', 'abandoned')),
    category              text,
    first_call_resolution boolean NOT NULL DEFAULT false,
    -- Seconds from the start of the call until the caller's issue was resolved (null when unresolved).
    resolution_seconds    integer CHECK (resolution_seconds >= 0),
    conversation_id       uuid REFERENCES conversations (id) ON DELETE SET NULL,
    transcript            text
);
CREATE INDEX calls_tenant_started_idx ON calls (tenant_id, started_at);
CREATE INDEX calls_tenant_phone_suffix_idx ON calls (tenant_id, phone_digits_reversed text_pattern_ops);

CREATE TABLE llm_usage (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id         uuid REFERENCES calls (id) ON DELETE SET NULL,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    provider        text NOT NULL,
    model           text NOT NULL,
    requested_at    timestamptz NOT NULL,
    input_tokens    integer NOT NULL CHECK (input_tokens >= 0),
    output_tokens   integer NOT NULL CHECK (output_tokens >= 0),
    latency_ms      integer NOT NULL CHECK (latency_ms >= 0),
    is_error        boolean NOT NULL DEFAULT false
);
CREATE INDEX llm_usage_tenant_requested_idx ON llm_usage (tenant_id, requested_at);

CREATE TABLE export_schedules (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                  text NOT NULL,
    cadence               text NOT NULL CHECK (cadence IN ('daily', 'weekly', 'monthly')),
    weekday               smallint CHECK (weekday BETWEEN 0 AND 6),      -- 0 = Monday, weekly only
    day_of_month          smallint CHECK (day_of_month BETWEEN 1 AND 28), -- monthly only
    time_of_day           time NOT NULL,
    tz                    text NOT NULL DEFAULT 'UTC',
    format                text NOT NULL CHECK (format IN ('csv', 'json', 'pdf', 'xlsx')),
    scope                 text NOT NULL,
    include_call_details  boolean NOT NULL DEFAULT true,
    include_transcripts   boolean NOT NULL DEFAULT false,
    include_conversations boolean NOT NULL DEFAULT false,
    enabled               boolean NOT NULL DEFAULT true,
    next_run_at           timestamptz NOT NULL,
    last_run_at           timestamptz,
    created_by            uuid NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX export_schedules_due_idx ON export_schedules (next_run_at) WHERE enabled;
CREATE INDEX export_schedules_tenant_idx ON export_schedules (tenant_id, created_at);

CREATE TABLE exports (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by            uuid NOT NULL,
    format                text NOT NULL CHECK (format IN ('csv', 'json', 'pdf', 'xlsx')),
    scope                 text NOT NULL,
    start_date            date NOT NULL,
    end_date              date NOT NULL,
    tz                    text NOT NULL DEFAULT 'UTC',
    include_call_details  boolean NOT NULL,
    include_transcripts   boolean NOT NULL,
    include_conversations boolean NOT NULL,
    status                text NOT NULL DEFAULT 'queued'
                          CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    s3_key                text NOT NULL,
    row_count             bigint,
    size_bytes            bigint,
    error                 text,
    idempotency_key       text,
    schedule_id           uuid REFERENCES export_schedules (id) ON DELETE SET NULL,
    schedule_period_start date,
    created_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz NOT NULL,
    started_at            timestamptz,
    finished_at           timestamptz,
    CHECK (end_date >= start_date),
    UNIQUE (tenant_id, created_by, idempotency_key),
    UNIQUE (schedule_id, schedule_period_start)
);
CREATE INDEX exports_tenant_created_idx ON exports (tenant_id, created_at);

CREATE TABLE audit_log (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_user_id    text NOT NULL,
    action           text NOT NULL,
    -- Only ever a redacted form (***-***-5678, an export id): never a raw phone number or email.
    target_redacted  text,
    result_count     integer,
    request_id       text,
    outcome          text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_created_idx ON audit_log (tenant_id, created_at);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL UNIQUE,   -- shown to humans, e.g. itsm_sk_live_AbC1
    key_hash     text NOT NULL UNIQUE,   -- sha256 of the whole key; the key itself is never stored
    role         text NOT NULL DEFAULT 'tenant_readonly',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at);
