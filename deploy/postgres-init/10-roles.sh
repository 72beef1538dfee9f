#!/bin/sh
# Runs once, when the postgres image initialises a new data volume (files in
# /docker-entrypoint-initdb.d run as the bootstrap superuser, POSTGRES_USER).
# It makes the two roles the API uses, neither a superuser:
#   ketacare      owns the database and its schema; `api migrate` logs in as
#                 it (MIGRATION_DATABASE_URL) to create and alter tables
#   ketacare_app  the serving API (DATABASE_URL): owns nothing; `api migrate`
#                 grants it row rights on each table, and on the audit trail
#                 only SELECT and INSERT
# A volume made before this script existed skips it: there `api migrate`
# creates ketacare_app itself (README, Deploying).
set -eu
: "${KETACARE_OWNER_PASSWORD:?set KETACARE_OWNER_PASSWORD}"
: "${KETACARE_APP_PASSWORD:?set KETACARE_APP_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-v db="$POSTGRES_DB" -v owner_password="$KETACARE_OWNER_PASSWORD" -v app_password="$KETACARE_APP_PASSWORD" <<'SQL'
CREATE ROLE ketacare LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE ketacare_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO ketacare;
ALTER SCHEMA public OWNER TO ketacare;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO ketacare_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ketacare_app;
SQL
