-- Every collection's documents in one table, keyed by (collection, key).
-- Keys sort in code-point order (COLLATE "C"), as Python sorts strings, so the primary key
-- serves both `list` order and a key prefix as an index range scan.
CREATE TABLE documents (
    collection text NOT NULL,
    key text COLLATE "C" NOT NULL,
    etag text NOT NULL,
    data jsonb NOT NULL,
    PRIMARY KEY (collection, key)
);

-- `list(where=...)` is top-level field equality, asked as containment (data @> '{...}').
CREATE INDEX documents_data ON documents USING gin (data jsonb_path_ops);
