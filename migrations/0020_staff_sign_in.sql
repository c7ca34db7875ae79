-- 0020 — Sign-in for staff: accounts (people with a password), devices (a kitchen tablet paired
-- with a one-time code), the sessions both get (a cookie), one-time sign-in links, and the
-- counters behind login rate limits and lockouts. Every secret is stored as a hash only:
-- passwords as scrypt (`scrypt$N$r$p$salt$key`), session tokens, pairing codes and sign-in links
-- as SHA-256 (they are random, so a fast hash is the right one); throttle keys as HMACs, so the
-- table holds no IP address and no sign-in name.

-- Every key leads with "restaurantId" (sharding by restaurant, docs/scaling.md). Session and
-- sign-in link tokens carry their restaurant's id after the random part, so they are found by
-- ("restaurantId", token_hash); a sign-in name and a pairing code are typed by people and found
-- through plain (non-unique) indexes.

-- People. `login` (an e-mail address or a user name) is stored case-folded, unique within the
-- restaurant. The role is read at every request, so a role change or a disabled account takes
-- effect at once.
CREATE TABLE restaurante.staff_accounts (
  "restaurantId"  text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  id              text NOT NULL,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  login           text NOT NULL CHECK (login = lower(login) AND login ~ '^[a-z0-9][a-z0-9._@+-]{2,253}$'),
  role            restaurante."StaffRole" NOT NULL,
  -- NULL until a password is set (an account may start with a one-time sign-in link only).
  password_hash   text CHECK (password_hash ~ '^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$'),
  "createdAt"     timestamptz NOT NULL DEFAULT now(),
  "updatedAt"     timestamptz NOT NULL DEFAULT now(),
  "lastSignInAt"  timestamptz,
  "disabledAt"    timestamptz,
  PRIMARY KEY ("restaurantId", id),
  UNIQUE ("restaurantId", login)
);
CREATE INDEX staff_accounts_restaurant ON restaurante.staff_accounts ("restaurantId", "createdAt");
-- The sign-in form has no restaurant: the name is looked up across restaurants.
CREATE INDEX staff_accounts_login ON restaurante.staff_accounts (login);

-- Devices: a row per pairing code issued. Pending until the code is redeemed (once: the hash is
-- cleared then), usable for its role until revoked.
CREATE TABLE restaurante.staff_devices (
  "restaurantId"      text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  id                  text NOT NULL,
  role                restaurante."StaffRole" NOT NULL,
  label               text CHECK (length(label) BETWEEN 1 AND 200),
  pairing_code_hash   text CHECK (pairing_code_hash ~ '^[0-9a-f]{64}$'),
  "pairingExpiresAt"  timestamptz NOT NULL,
  "createdAt"         timestamptz NOT NULL DEFAULT now(),
  "createdBy"         text,
  "pairedAt"          timestamptz,
  "revokedAt"         timestamptz,
  CHECK ("pairedAt" IS NULL OR pairing_code_hash IS NULL),
  PRIMARY KEY ("restaurantId", id),
  UNIQUE ("restaurantId", pairing_code_hash)
);
CREATE INDEX staff_devices_restaurant ON restaurante.staff_devices ("restaurantId", "createdAt");
-- A device types its code before it belongs to a restaurant: the code is looked up across them.
CREATE INDEX staff_devices_pairing_code ON restaurante.staff_devices (pairing_code_hash) WHERE pairing_code_hash IS NOT NULL;

-- Sessions behind the staff cookie, of an account or of a device. Valid while not revoked, before
-- "expiresAt" (absolute) and within idle_timeout of "lastSeenAt" (touched at most once a minute).
CREATE TABLE restaurante.staff_sessions (
  "restaurantId"  text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  id              text NOT NULL,
  "accountId"     text,
  "deviceId"      text,
  token_hash      text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  idle_timeout    interval NOT NULL CHECK (idle_timeout > interval '0'),
  "createdAt"     timestamptz NOT NULL DEFAULT now(),
  "lastSeenAt"    timestamptz NOT NULL DEFAULT now(),
  "expiresAt"     timestamptz NOT NULL,
  "revokedAt"     timestamptz,
  CHECK (num_nonnulls("accountId", "deviceId") = 1),
  CHECK ("expiresAt" > "createdAt"),
  PRIMARY KEY ("restaurantId", id),
  UNIQUE ("restaurantId", token_hash),
  FOREIGN KEY ("restaurantId", "accountId") REFERENCES restaurante.staff_accounts ("restaurantId", id) ON DELETE CASCADE,
  FOREIGN KEY ("restaurantId", "deviceId") REFERENCES restaurante.staff_devices ("restaurantId", id) ON DELETE CASCADE
);
CREATE INDEX staff_sessions_account ON restaurante.staff_sessions ("restaurantId", "accountId") WHERE "accountId" IS NOT NULL;
CREATE INDEX staff_sessions_device ON restaurante.staff_sessions ("restaurantId", "deviceId") WHERE "deviceId" IS NOT NULL;
CREATE INDEX staff_sessions_expires ON restaurante.staff_sessions ("expiresAt");

-- One-time sign-in links (the first admin after `npm start`, or an admin's `comanda staff account
-- link`): valid for an hour, used once.
CREATE TABLE restaurante.staff_sign_in_tokens (
  "restaurantId"  text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  id              text NOT NULL,
  "accountId"     text NOT NULL,
  token_hash      text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  "createdAt"     timestamptz NOT NULL DEFAULT now(),
  "expiresAt"     timestamptz NOT NULL,
  "usedAt"        timestamptz,
  CHECK ("expiresAt" > "createdAt"),
  PRIMARY KEY ("restaurantId", id),
  UNIQUE ("restaurantId", token_hash),
  FOREIGN KEY ("restaurantId", "accountId") REFERENCES restaurante.staff_accounts ("restaurantId", id) ON DELETE CASCADE
);
CREATE INDEX staff_sign_in_tokens_account ON restaurante.staff_sign_in_tokens ("restaurantId", "accountId");

-- Sign-in attempts per client address and per sign-in name (known or not, so that a lockout says
-- nothing about whether an account exists): a fixed window of attempts, the consecutive failures
-- and the lockout they led to. Shared by every instance.
CREATE TABLE comanda.staff_sign_in_throttle (
  key           text PRIMARY KEY,
  attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  window_ends   timestamptz NOT NULL,
  failures      integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until  timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_sign_in_throttle_updated ON comanda.staff_sign_in_throttle (updated_at);
