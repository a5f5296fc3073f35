-- Uploaded images. Their bytes live in the database like everything else, so every node
-- serves them and a backup (one file on SQLite) holds them. `media` describes each image;
-- `media_files` holds its re-encoded full-size bytes and each narrower copy, by width.
-- A deleted image loses its bytes but keeps its row: its name, cached by browsers for a
-- year, is never given to another picture.
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    alt TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    uploaded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- The same pixels uploaded twice give the image already there.
CREATE INDEX media_by_hash ON media (content_hash) WHERE deleted_at IS NULL;
CREATE INDEX media_by_creation ON media (created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE media_files (
    media_id BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    width BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (media_id, width)
);
