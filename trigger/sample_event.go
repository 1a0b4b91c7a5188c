package trigger

import "github.com/keyhook/keyhook"

// SampleActionEvent is a realistic event of trigger t for an Action, as
// Auth0's references describe each trigger's event: what the test runner
// starts from and fills the fields a test payload leaves out with. Its
// values are JSON-shaped (maps, []any, strings, float64, bools) and new on
// each call, so callers may change them. tenant is event.tenant.id;
// event.secrets is empty, for the caller to fill with the action's.
//
// The sample is one user of the tenant's database connection logging in to
// a regular web application from a browser, with documentation addresses
// (203.0.113.0/24, example.com) wherever an address is needed.
func SampleActionEvent(t keyhook.TriggerID, tenant string) map[string]any {
	ev := map[string]any{
		"tenant":  map[string]any{"id": tenant},
		"secrets": map[string]any{},
	}
	put := func(fields map[string]any) map[string]any {
		for k, v := range fields {
			ev[k] = v
		}
		return ev
	}
	switch t {
	case keyhook.TriggerPostLogin:
		return put(map[string]any{
			"user":       sampleUser(true),
			"client":     sampleClient(),
			"connection": sampleConnection(),
			"request":    sampleRequest(true, true),
			"stats":      map[string]any{"logins_count": float64(7)},
			"transaction": map[string]any{
				"id":               "txn_Jq8Rk2Ztq3Vb7cNw",
				"acr_values":       []any{},
				"locale":           "en",
				"protocol":         "oidc-basic-profile",
				"redirect_uri":     "https://app.example.com/callback",
				"requested_scopes": []any{"openid", "profile", "email"},
				"response_mode":    "query",
				"response_type":    []any{"code"},
				"state":            "bXktc3RhdGUtdmFsdWU",
				"ui_locales":       []any{},
				"correlation_id":   "c0a8e3f2-5b1d-4c6e-9f7a-2d3b4c5d6e7f",
				"metadata":         map[string]any{},
			},
			"authentication": map[string]any{
				"methods": []any{map[string]any{"name": "pwd", "timestamp": "2025-06-02T08:15:30.000Z"}},
			},
			"authorization":   map[string]any{"roles": []any{}},
			"resource_server": map[string]any{"identifier": "https://api.example.com/"},
			"session": map[string]any{
				"id":               "kS9dLx2mQ4rT7vYb1nHc",
				"created_at":       "2025-06-02T08:15:30.000Z",
				"authenticated_at": "2025-06-02T08:15:30.000Z",
				"metadata":         map[string]any{},
			},
		})
	case keyhook.TriggerCredentialsExchange:
		client := sampleClient()
		client["name"] = "My Backend Service"
		request := sampleRequest(false, false)
		request["user_agent"] = "node-fetch/1.0"
		request["body"] = map[string]any{
			"grant_type": "client_credentials", "client_id": client["client_id"], "audience": "https://api.example.com/",
		}
		return put(map[string]any{
			"accessToken":     map[string]any{"scope": []any{"read:messages"}, "customClaims": map[string]any{}},
			"client":          client,
			"request":         request,
			"resource_server": map[string]any{"identifier": "https://api.example.com/"},
			"transaction":     map[string]any{"requested_scopes": []any{"read:messages"}},
		})
	case keyhook.TriggerPreUserRegistration:
		return put(map[string]any{
			"user": map[string]any{
				"email":         "jane.doe@example.com",
				"name":          "jane.doe@example.com",
				"nickname":      "jane.doe",
				"picture":       "https://example.com/avatars/jd.png",
				"app_metadata":  map[string]any{},
				"user_metadata": map[string]any{},
			},
			"client":     sampleClient(),
			"connection": sampleConnection(),
			"request":    sampleRequest(true, false),
			"transaction": map[string]any{
				"locale":           "en",
				"protocol":         "oidc-basic-profile",
				"redirect_uri":     "https://app.example.com/callback",
				"requested_scopes": []any{"openid", "profile", "email"},
				"response_mode":    "query",
				"response_type":    []any{"code"},
				"state":            "bXktc3RhdGUtdmFsdWU",
				"ui_locales":       []any{},
				"correlation_id":   "c0a8e3f2-5b1d-4c6e-9f7a-2d3b4c5d6e7f",
			},
		})
	case keyhook.TriggerPostUserRegistration:
		user := sampleUser(false)
		user["email_verified"] = false
		user["created_at"], user["updated_at"] = "2025-06-02T08:15:30.000Z", "2025-06-02T08:15:30.000Z"
		return put(map[string]any{
			"user":        user,
			"connection":  sampleConnection(),
			"request":     sampleRequest(false, false),
			"transaction": map[string]any{"correlation_id": "c0a8e3f2-5b1d-4c6e-9f7a-2d3b4c5d6e7f"},
		})
	case keyhook.TriggerPostChangePassword:
		return put(map[string]any{
			"user": map[string]any{
				"user_id":             "auth0|6650b1c2d3e4f5a6b7c8d9e0",
				"email":               "jane.doe@example.com",
				"email_verified":      true,
				"last_password_reset": "2025-06-02T08:15:30.000Z",
			},
			"connection": sampleConnection(),
			"request":    sampleRequest(false, false),
		})
	case keyhook.TriggerSendPhoneMessage:
		user := sampleUser(false)
		user["phone_number"], user["phone_verified"] = "+15555550123", true
		return put(map[string]any{
			"message_options": map[string]any{
				"recipient":    "+15555550123",
				"text":         "Your verification code is: 482915",
				"code":         "482915",
				"action":       "second-factor-authentication",
				"message_type": "sms",
			},
			"user":        user,
			"client":      sampleClient(),
			"request":     sampleRequest(false, false),
			"transaction": map[string]any{"correlation_id": "c0a8e3f2-5b1d-4c6e-9f7a-2d3b4c5d6e7f"},
		})
	}
	return ev
}

// sampleUser is a database user's profile; withLogin adds what post-login
// shows of its factors.
func sampleUser(withLogin bool) map[string]any {
	u := map[string]any{
		"user_id":        "auth0|6650b1c2d3e4f5a6b7c8d9e0",
		"email":          "jane.doe@example.com",
		"email_verified": true,
		"name":           "jane.doe@example.com",
		"nickname":       "jane.doe",
		"picture":        "https://example.com/avatars/jd.png",
		"created_at":     "2025-01-15T09:30:00.000Z",
		"updated_at":     "2025-06-02T08:15:30.000Z",
		"app_metadata":   map[string]any{},
		"user_metadata":  map[string]any{},
		"identities": []any{map[string]any{
			"connection": keyhook.DefaultDatabaseConnection,
			"provider":   "auth0",
			"user_id":    "6650b1c2d3e4f5a6b7c8d9e0",
			"isSocial":   false,
		}},
	}
	if withLogin {
		u["multifactor"] = []any{}
		u["enrolledFactors"] = []any{}
	}
	return u
}

func sampleClient() map[string]any {
	return map[string]any{"client_id": "Xk7pQ2mN9vR4tW8yB3cF6hJ1lZ5sD0aG", "name": "My Web App", "metadata": map[string]any{}}
}

func sampleConnection() map[string]any {
	return map[string]any{
		"id": "con_Vb3Kq9Lm2Xz7Tn4R", "name": keyhook.DefaultDatabaseConnection, "strategy": "auth0", "metadata": map[string]any{},
	}
}

// sampleRequest is a browser's request from a documentation address;
// withBody adds the (empty) form body the triggers that see one get, and
// withQuery the query only post-login sees.
func sampleRequest(withBody, withQuery bool) map[string]any {
	r := map[string]any{
		"ip":         "203.0.113.42",
		"method":     "POST",
		"hostname":   "login.example.com",
		"language":   "en",
		"user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36",
		"geoip": map[string]any{
			"cityName":        "Portland",
			"continentCode":   "NA",
			"countryCode":     "US",
			"countryCode3":    "USA",
			"countryName":     "United States of America",
			"latitude":        45.52,
			"longitude":       -122.68,
			"subdivisionCode": "OR",
			"subdivisionName": "Oregon",
			"timeZone":        "America/Los_Angeles",
		},
	}
	if withBody {
		r["body"] = map[string]any{}
	}
	if withQuery {
		r["query"] = map[string]any{}
	}
	return r
}
