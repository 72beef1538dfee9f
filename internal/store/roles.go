package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// On PostgreSQL the service may run as two roles: the owner, which applies
// migrations and so owns every table, and the runtime role the service
// serves as, which owns nothing and may only read and write rows. A table's
// owner can truncate it, drop it, or disable its triggers; the runtime role
// can do none of that, so a compromised service cannot wipe the audit trail.

// grantLock is the advisory lock GrantRuntime holds: any number unlikely to
// be another's ("KetaGrnt").
const grantLock = 0x4b657461_47726e74

// Role is what PostgreSQL says about the role a connection logs in as.
type Role struct {
	Name      string
	Superuser bool
	// OwnedTables counts the tables of the connection's schema it owns.
	OwnedTables int64
}

// CurrentRole describes the role db logs in as.
func CurrentRole(ctx context.Context, db *gorm.DB) (Role, error) {
	var r Role
	err := db.WithContext(ctx).Raw(`SELECT r.rolname AS name, r.rolsuper AS superuser,
		(SELECT count(*) FROM pg_tables t WHERE t.schemaname = current_schema() AND t.tableowner = r.rolname) AS owned_tables
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&r).Error
	if err != nil {
		return r, fmt.Errorf("read the database role: %w", err)
	}
	return r, nil
}

// RuntimeUser is the role a PostgreSQL URL (or key=value DSN) logs in as,
// with its password; libpq's defaults apply when the URL names none.
func RuntimeUser(databaseURL string) (user, password string, err error) {
	cfg, err := pgconn.ParseConfig(databaseURL)
	if err != nil {
		return "", "", err
	}
	return cfg.User, cfg.Password, nil
}

// GrantRuntime gives the runtime role, on every table of owner's schema,
// what the service needs and nothing more: SELECT, INSERT, UPDATE and DELETE
// on ordinary tables, only SELECT and INSERT on audit_events, only SELECT on
// schema_migrations, no TRUNCATE, REFERENCES or TRIGGER, and no right to
// create objects. It runs after every migration, so tables added later are
// covered, and it first revokes whatever the role held, so a grant made by
// hand (or by an older setup) does not survive it. The role is created,
// with password, when missing (a database made before the roles were
// split); a role that is a superuser, owns tables or belongs to the owner
// is refused, since it could undo every guard.
func GrantRuntime(ctx context.Context, owner *gorm.DB, role, password string, log *slog.Logger) error {
	db := owner.WithContext(ctx)
	var me struct {
		Name   string
		Schema string
		DB     string
	}
	if err := db.Raw(`SELECT current_user AS name, current_schema() AS schema, current_database() AS db`).Scan(&me).Error; err != nil {
		return fmt.Errorf("read the owner role: %w", err)
	}
	if me.Schema == "" {
		return fmt.Errorf("MIGRATION_DATABASE_URL: its search_path names no schema that exists")
	}
	if role == me.Name {
		log.Warn("DATABASE_URL and MIGRATION_DATABASE_URL log in as the same role: the service owns its tables and could wipe the audit trail", "role", role)
		return nil
	}
	var found []struct{ Rolsuper bool }
	if err := db.Raw(`SELECT rolsuper FROM pg_roles WHERE rolname = ?`, role).Scan(&found).Error; err != nil {
		return fmt.Errorf("look up role %s: %w", role, err)
	}
	if len(found) == 0 {
		// CREATE ROLE takes no parameters: the server quotes the password.
		create := "CREATE ROLE " + pgx.Identifier{role}.Sanitize() + " LOGIN"
		if password != "" {
			var quoted string
			if err := db.Raw(`SELECT quote_literal(?::text)`, password).Scan(&quoted).Error; err != nil {
				return err
			}
			create += " PASSWORD " + quoted
		}
		if err := db.Exec(create).Error; err != nil {
			return fmt.Errorf("create the service's role %s (DATABASE_URL's user) as %s: %w", role, me.Name, err)
		}
		log.Info("created the service's database role", "role", role)
	} else if found[0].Rolsuper {
		return fmt.Errorf("DATABASE_URL: logs in as %s, a superuser, which could switch off the audit trail's guards: give the service a role that owns nothing", role)
	}
	var check struct {
		Member bool
		Owned  int64
	}
	if err := db.Raw(`SELECT pg_has_role(?, current_user, 'MEMBER') AS member,
		(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = ?) AS owned`, role, role).Scan(&check).Error; err != nil {
		return fmt.Errorf("check role %s: %w", role, err)
	}
	if check.Member {
		return fmt.Errorf("DATABASE_URL: its role %s is a member of %s, MIGRATION_DATABASE_URL's, and so holds an owner's rights", role, me.Name)
	}
	if check.Owned > 0 {
		return fmt.Errorf("DATABASE_URL: its role %s owns %d tables in schema %s: as %s, run REASSIGN OWNED BY %s TO %s",
			role, check.Owned, me.Schema, me.Name, role, me.Name)
	}

	r := pgx.Identifier{role}.Sanitize()
	s := pgx.Identifier{me.Schema}.Sanitize()
	err := db.Transaction(func(tx *gorm.DB) error {
		// Two instances starting together would otherwise update the same
		// catalog rows at once, which PostgreSQL refuses.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, grantLock).Error; err != nil {
			return err
		}
		var has struct{ Connect, Usage bool }
		if err := tx.Raw(`SELECT has_database_privilege(?, current_database(), 'CONNECT') AS connect,
			has_schema_privilege(?, current_schema(), 'USAGE') AS usage`, role, role).Scan(&has).Error; err != nil {
			return err
		}
		var stmts []string
		if !has.Connect {
			stmts = append(stmts, "GRANT CONNECT ON DATABASE "+pgx.Identifier{me.DB}.Sanitize()+" TO "+r)
		}
		if !has.Usage {
			stmts = append(stmts, "GRANT USAGE ON SCHEMA "+s+" TO "+r)
		}
		// Revoking and granting in one transaction: a running instance sees
		// the old rights or the new ones, never none.
		stmts = append(stmts,
			"REVOKE CREATE ON SCHEMA "+s+" FROM "+r,
			"REVOKE ALL ON ALL TABLES IN SCHEMA "+s+" FROM "+r,
			"REVOKE ALL ON ALL SEQUENCES IN SCHEMA "+s+" FROM "+r,
			"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "+s+" TO "+r,
			"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "+s+" TO "+r,
			"REVOKE UPDATE, DELETE ON "+s+".audit_events FROM "+r,
			"REVOKE INSERT, UPDATE, DELETE ON "+s+".schema_migrations FROM "+r,
		)
		for _, stmt := range stmts {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("grant the service's role %s its rights: %w", role, err)
	}
	var canCreate bool
	if err := db.Raw(`SELECT has_schema_privilege(?, current_schema(), 'CREATE')`, role).Scan(&canCreate).Error; err != nil {
		return err
	}
	if canCreate {
		log.Warn("the service's role can still create tables in the schema, through a grant to PUBLIC: revoke it (REVOKE CREATE ON SCHEMA ... FROM PUBLIC)", "role", role, "schema", me.Schema)
	}
	log.Info("granted the service's database role its rights", "role", role, "schema", me.Schema)
	return nil
}
