package apitest

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/accounts"
	"github.com/ketacare/api/internal/auth"
	"github.com/ketacare/api/internal/models"
)

// FixturePassword is the password of every user the harness creates.
const FixturePassword = "fixture-passphrase-42"

var (
	hashOnce    sync.Once
	fixtureHash string
)

// fixturePasswordHash is a real argon2id hash of FixturePassword, computed
// once: hashing is deliberately slow, and most tests are not about it.
func fixturePasswordHash() string {
	hashOnce.Do(func() {
		var err error
		fixtureHash, err = auth.NewHasher(1).Hash(context.Background(), FixturePassword)
		if err != nil {
			panic(err)
		}
	})
	return fixtureHash
}

// User is an account the harness created, signed in as the API signs one
// in: a login (Login, the refresh-token family its token names as sid),
// its refresh token and an access token from the service's own signer.
type User struct {
	ID           uuid.UUID
	Email        string
	Name         string
	Role         string
	Token        string
	RefreshToken string
	Login        uuid.UUID
}

// NewUser stores an account with the role and signs a token for it.
// profession is for clinicians and ignored otherwise.
func (e *Env) NewUser(role, name, profession string) User {
	e.T.Helper()
	u := models.User{
		Email:        "u-" + uuid.NewString()[:13] + "@clinic.test",
		DisplayName:  name,
		Role:         role,
		PasswordHash: fixturePasswordHash(),
	}
	if role == models.RoleClinician {
		u.Profession = &profession
	}
	if err := e.App.Store.CreateUser(context.Background(), &u); err != nil {
		e.T.Fatalf("create %s: %v", role, err)
	}
	return e.userWithToken(u)
}

// Patient creates a patient.
func (e *Env) Patient(name string) User {
	e.T.Helper()
	return e.NewUser(models.RolePatient, name, "")
}

// Clinician creates a clinician of the profession.
func (e *Env) Clinician(name, profession string) User {
	e.T.Helper()
	return e.NewUser(models.RoleClinician, name, profession)
}

// Admin returns the clinic's first admin, created at start-up.
func (e *Env) Admin() User {
	e.T.Helper()
	u, err := e.App.Store.UserByEmail(context.Background(), AdminEmail)
	if err != nil {
		e.T.Fatalf("admin: %v", err)
	}
	return e.userWithToken(u)
}

// SignedIn signs a token for an account stored some other way.
func (e *Env) SignedIn(u models.User) User {
	e.T.Helper()
	return e.userWithToken(u)
}

func (e *Env) userWithToken(u models.User) User {
	e.T.Helper()
	tok, refresh, err := accounts.SignIn(context.Background(), e.App.Store, e.App.Signer, u, e.App.Now())
	if err != nil {
		e.T.Fatalf("sign in: %v", err)
	}
	id, err := e.App.Signer.Verify(tok)
	if err != nil {
		e.T.Fatalf("verify token: %v", err)
	}
	return User{ID: u.ID, Email: u.Email, Name: u.DisplayName, Role: u.Role, Token: tok, RefreshToken: refresh, Login: id.LoginID}
}
