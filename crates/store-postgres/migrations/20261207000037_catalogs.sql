-- Product catalogs (Meta's product_catalogs), each owned by one account and linked to at most
-- one WABA; a WABA has at most one linked catalog, as on Meta.
CREATE TABLE catalogs (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    waba_id     TEXT,
    created_at  BIGINT NOT NULL
);

-- An account's catalogs in id order (the list's keyset).
CREATE INDEX catalogs_by_account ON catalogs (account_id, id);
-- One catalog per WABA.
CREATE UNIQUE INDEX catalogs_by_waba ON catalogs (waba_id) WHERE waba_id IS NOT NULL;

-- Products of a catalog; retailer_id is unique per catalog (Meta's "duplicate retailer_id").
-- price is in the currency's minor unit.
CREATE TABLE products (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    catalog_id   TEXT COLLATE "C" NOT NULL REFERENCES catalogs (id),
    account_id   UUID NOT NULL REFERENCES accounts (id),
    retailer_id  TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    price        BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    availability TEXT NOT NULL,
    condition    TEXT NOT NULL,
    image_url    TEXT,
    url          TEXT,
    brand        TEXT,
    visibility   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE UNIQUE INDEX products_by_retailer_id ON products (catalog_id, retailer_id);
-- A catalog's products in id order (the list's keyset).
CREATE INDEX products_by_catalog ON products (catalog_id, id);
