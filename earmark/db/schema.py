"""The DuckDB schema, as an ordered list of migrations.

Each entry moves the schema from version N to N+1; `Store` applies the ones a
file has not seen yet, inside one transaction, when it opens the file.
Append new migrations, never edit a released one.
"""

_SERVED_AND_EMBEDDINGS = """
    UPDATE tasks SET served = coalesce(
        (SELECT min(c.claimed) FROM claims c WHERE c.task_id = tasks.id),
        (SELECT min(a.created) FROM annotations a WHERE a.task_id = tasks.id));
    CREATE TABLE region_embeddings (
        task_id    BIGINT NOT NULL,
        dataset    VARCHAR NOT NULL,
        region_id  VARCHAR NOT NULL,
        start      DOUBLE NOT NULL,               -- the proposal as loaded
        "end"      DOUBLE NOT NULL,
        channel    INTEGER,                       -- the region's, else the task's channel
        label      VARCHAR,                       -- the model's label
        score      DOUBLE,                        -- the model's score
        embedding  BLOB NOT NULL,                 -- float32, little-endian
        PRIMARY KEY (task_id, region_id)
    );
"""

# A migration is SQL both databases run, or a dict of it per dialect (`duckdb`, `postgresql`).
MIGRATIONS: list[str | dict[str, str]] = [
    # 1: datasets, media, tasks, annotations, spans, peaks
    """
    CREATE TABLE datasets (
        name      VARCHAR PRIMARY KEY,
        view      VARCHAR NOT NULL,
        labels    VARCHAR NOT NULL DEFAULT '[]',   -- JSON list of label names
        settings  VARCHAR NOT NULL DEFAULT '{}',   -- JSON object (design.md settings)
        created   DOUBLE NOT NULL
    );
    CREATE TABLE media (
        id            VARCHAR PRIMARY KEY,         -- content hash (hex)
        path          VARCHAR NOT NULL,            -- absolute path on the server
        format        VARCHAR NOT NULL,
        duration      DOUBLE,
        sample_rate   INTEGER,
        channels      INTEGER,
        size          BIGINT NOT NULL,
        added         DOUBLE NOT NULL
    );
    CREATE SEQUENCE task_ids START 1;
    CREATE TABLE tasks (
        id          BIGINT PRIMARY KEY DEFAULT nextval('task_ids'),
        dataset     VARCHAR NOT NULL,
        input_hash  BIGINT NOT NULL,
        task_hash   BIGINT NOT NULL,
        media_id    VARCHAR,
        task        VARCHAR NOT NULL,              -- the task as JSON
        added       DOUBLE NOT NULL,
        UNIQUE (dataset, input_hash)
    );
    CREATE SEQUENCE annotation_ids START 1;
    CREATE TABLE annotations (
        id          BIGINT PRIMARY KEY DEFAULT nextval('annotation_ids'),
        dataset     VARCHAR NOT NULL,
        task_id     BIGINT,
        input_hash  BIGINT NOT NULL,
        task_hash   BIGINT NOT NULL,
        session     VARCHAR NOT NULL,
        view        VARCHAR,
        answer      VARCHAR NOT NULL,
        created     DOUBLE NOT NULL,               -- Unix seconds
        supersedes  BIGINT,                        -- earlier version this one corrects
        annotation  VARCHAR NOT NULL               -- the annotation as JSON
    );
    CREATE INDEX annotations_dataset ON annotations (dataset);
    CREATE TABLE spans (
        annotation_id  BIGINT NOT NULL,
        dataset        VARCHAR NOT NULL,
        session        VARCHAR NOT NULL,
        answer         VARCHAR NOT NULL,
        media_id       VARCHAR,
        span_id        VARCHAR,
        label          VARCHAR,
        start          DOUBLE NOT NULL,
        "end"          DOUBLE NOT NULL,
        channel        INTEGER,
        text           VARCHAR
    );
    CREATE INDEX spans_dataset ON spans (dataset);
    CREATE TABLE peaks (
        media_id   VARCHAR PRIMARY KEY,            -- content hash, as media.id
        rate       INTEGER NOT NULL,               -- buckets per second
        channels   INTEGER NOT NULL,
        buckets    BIGINT NOT NULL,
        duration   DOUBLE NOT NULL,                -- decoded duration, seconds
        data       BLOB NOT NULL                   -- int16 (channels, buckets, 2) min/max
    );
    """,
    # 2: claims, so that annotators sharing a queue (feed_overlap off) never
    # receive the same task at once; a claim expires when left unanswered.
    """
    CREATE TABLE claims (
        dataset   VARCHAR NOT NULL,
        task_id   BIGINT NOT NULL,
        session   VARCHAR NOT NULL,
        claimed   DOUBLE NOT NULL,
        PRIMARY KEY (dataset, task_id)
    );
    CREATE INDEX annotations_task ON annotations (task_id);
    """,
    # 3: receipts of answers sent from a browser's pending log, so that an
    # answer re-sent after a reload, a lost connection or a server restart is
    # committed once (design.md, component protocol: keyed by session, the
    # browser tab's client id and the answer's seq).
    """
    CREATE TABLE answer_receipts (
        session        VARCHAR NOT NULL,
        client         VARCHAR NOT NULL,
        seq            BIGINT NOT NULL,
        task_id        BIGINT,
        annotation_id  BIGINT,                     -- NULL: refused (the reason in `problem`)
        problem        VARCHAR,
        received       DOUBLE NOT NULL,
        PRIMARY KEY (session, client, seq)
    );
    """,
    # 4: a model in the loop. `tasks.score` is a task's uncertainty, the lowest
    # `score` of its regions and words (NULL: none scored), for `feed_order:
    # uncertain`; kept up to date at load and when voice profiles re-score the
    # proposals. DuckDB orders a top-N by a column scan (an ART index serves
    # point lookups only, and would turn each re-score into a delete and insert),
    # so it has no index here; a PostgreSQL backend indexes (dataset, score, id).
    # `tasks.served`: when the feed first gave the task to a card (NULL: never);
    # only tasks never served are relabelled from voice profiles. Region
    # embeddings a model gave at load (`_embedding`), with the proposal as it was
    # loaded (the model's label and score, which a relabelling falls back to), as
    # little-endian float32 bytes.
    {"duckdb": """
    ALTER TABLE tasks ADD COLUMN score DOUBLE;
    ALTER TABLE tasks ADD COLUMN served DOUBLE;
    UPDATE tasks SET score = (
        SELECT min(TRY_CAST(v AS DOUBLE)) FROM (
            SELECT unnest(coalesce(json_extract(task, '$.audio_spans[*].score'), [])) AS v
            UNION ALL SELECT unnest(coalesce(json_extract(task, '$.words[*].score'), []))));
    """ + _SERVED_AND_EMBEDDINGS,
     "postgresql": """
    ALTER TABLE tasks ADD COLUMN score DOUBLE;
    ALTER TABLE tasks ADD COLUMN served DOUBLE;
    UPDATE tasks SET score = (
        SELECT min(earmark_try_double(x ->> 'score')) FROM (
            SELECT x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(task::jsonb -> 'audio_spans') = 'array'
                THEN task::jsonb -> 'audio_spans' ELSE '[]'::jsonb END) AS x
            UNION ALL SELECT x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(task::jsonb -> 'words') = 'array'
                THEN task::jsonb -> 'words' ELSE '[]'::jsonb END) AS x) AS scored);
    CREATE INDEX tasks_score ON tasks (dataset, score, id);
    """ + _SERVED_AND_EMBEDDINGS},
    # 5: what every Annotate page run asks of a large dataset on PostgreSQL: a session's
    # current annotations (the newest first, for undo; their count, for progress) and
    # the tasks answered. Without these it scanned every annotation per run (on 100,000:
    # the session's newest answer 170 ms, progress 270 ms, each page run); DuckDB scans
    # its columns in milliseconds and keeps no such index (an ART index would only slow
    # its inserts).
    {"duckdb": "",
     "postgresql": """
    CREATE INDEX annotations_supersedes ON annotations (supersedes);
    CREATE INDEX annotations_session ON annotations (dataset, session, created) INCLUDE (id);
    CREATE INDEX annotations_dataset_task ON annotations (dataset, task_id);
    """},
]

SCHEMA_VERSION = len(MIGRATIONS)
