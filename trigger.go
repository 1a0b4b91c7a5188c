package keyhook

// TriggerID names an extensibility point.
type TriggerID string

// The extensibility points of DESIGN §3.
const (
	TriggerCredentialsExchange  TriggerID = "credentials-exchange"
	TriggerPreUserRegistration  TriggerID = "pre-user-registration"
	TriggerPostUserRegistration TriggerID = "post-user-registration"
	TriggerPostChangePassword   TriggerID = "post-change-password"
	TriggerSendPhoneMessage     TriggerID = "send-phone-message"
	TriggerPostLogin            TriggerID = "post-login"
)

// HookTriggers are the trigger ids a legacy hook may use, in Auth0's order.
var HookTriggers = []TriggerID{
	TriggerCredentialsExchange,
	TriggerPreUserRegistration,
	TriggerPostUserRegistration,
	TriggerPostChangePassword,
	TriggerSendPhoneMessage,
}

// ValidHookTrigger reports whether id is a legacy hook extensibility point.
func ValidHookTrigger(id string) bool {
	for _, t := range HookTriggers {
		if string(t) == id {
			return true
		}
	}
	return false
}
