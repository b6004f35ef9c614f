-- Daily rollups of CSAT, help-center and email data (the families of aurion/rollups/csat.py, help_center.py
-- and email.py), maintained by the same aggregator run as conversation_daily (0007) and read the same way:
-- rollup days plus raw edges, summed. docs/metrics.md, "Rollups", states what is exact.

-- CSAT responses per UTC day of responded_at and the conversation's assignee and team ('' for none): the
-- CSAT endpoint filters and groups by exactly these. Ratings are kept as counts per value, so averages,
-- positive counts and the distribution are exact sums.
CREATE TABLE csat_daily (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day       date NOT NULL,
    agent     text NOT NULL,
    team      text NOT NULL,
    responses integer NOT NULL,
    rating_1  integer NOT NULL,
    rating_2  integer NOT NULL,
    rating_3  integer NOT NULL,
    rating_4  integer NOT NULL,
    rating_5  integer NOT NULL,
    PRIMARY KEY (tenant_id, day, agent, team)
);

-- Per article and UTC day: views by viewed_at, feedback by its created_at, AI resolutions with the article by
-- the conversation's created_at. Deleting an article deletes its views and feedback, and its facts with them.
CREATE TABLE article_daily (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day            date NOT NULL,
    article_id     uuid NOT NULL REFERENCES help_center_articles (id) ON DELETE CASCADE,
    views          integer NOT NULL,
    deflected      integer NOT NULL,
    helpful        integer NOT NULL,
    not_helpful    integer NOT NULL,
    ai_resolutions integer NOT NULL,
    PRIMARY KEY (tenant_id, day, article_id)
);

-- Per email channel and UTC day: conversations by created_at, messages by sent_at. channel_id is null for
-- email-channel conversations without a mailbox. Deleting a channel deletes its messages, and its facts with
-- them (its conversations lose the channel: that write marks their days for the next run).
CREATE TABLE email_daily (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day                   date NOT NULL,
    channel_id            uuid REFERENCES email_channels (id) ON DELETE CASCADE,
    email_conversations   integer NOT NULL,
    channel_conversations integer NOT NULL,
    inbound_messages      integer NOT NULL,
    outbound_messages     integer NOT NULL
);
CREATE UNIQUE INDEX email_daily_key_idx
    ON email_daily (tenant_id, day, coalesce(channel_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Views, feedback and messages arrive late (tracking and mail ingestion lag, backfills) and a view is marked
-- "led to a conversation" up to 24 hours after it happened: the aggregator finds those rows by updated_at.
SELECT aurion_track_changes('article_views'), aurion_track_changes('article_feedback'),
       aurion_track_changes('email_messages');

-- A reassigned conversation moves its responses to another agent's facts: the aggregator goes from changed
-- conversations to their surveys.
CREATE INDEX csat_surveys_conversation_idx ON csat_surveys (conversation_id);
-- The responses drilldown pages newest first: read in index order instead of sorting the whole range.
CREATE INDEX csat_surveys_tenant_responded_desc_idx ON csat_surveys (tenant_id, responded_at DESC, id DESC)
    WHERE responded_at IS NOT NULL;

SELECT aurion_protect_rollup_table('csat_daily'), aurion_protect_rollup_table('article_daily'),
       aurion_protect_rollup_table('email_daily');

-- rollup_state says which days every family covers, and these tables start empty: forget it, so the next
-- aggregator run takes the first-run path and rebuilds every day of every family (queries read raw until then).
TRUNCATE rollup_state;
