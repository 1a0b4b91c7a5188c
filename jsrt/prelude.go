package jsrt

import "github.com/keyhook/keyhook"

// The prelude classes of Auth0's extensibility compilers. They are defined
// as global properties by a program run before the script, so they are in
// the script's scope without shifting its line numbers.
const extensibilityUserError = `var ExtensibilityUserError = class ExtensibilityUserError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
};
`

func plainErrorClass(name string) string {
	return "var " + name + " = class " + name + " extends ExtensibilityUserError {};\n"
}

func friendlyClass(name string) string {
	return "var " + name + " = class " + name + ` extends ExtensibilityUserError {
  constructor(message, friendlyMessage) {
    super(message);
    this.friendlyMessage = friendlyMessage || message;
  }
};
`
}

// preludeSources maps each trigger to its prelude; "" is the fallback for
// triggers without classes of their own.
func preludeSources() map[keyhook.TriggerID]string {
	registration := extensibilityUserError + friendlyClass("PreUserRegistrationError")
	return map[keyhook.TriggerID]string{
		"": extensibilityUserError,
		keyhook.TriggerCredentialsExchange: extensibilityUserError +
			plainErrorClass("InvalidRequestError") + plainErrorClass("InvalidScopeError") + plainErrorClass("ServerError"),
		keyhook.TriggerPreUserRegistration:  registration,
		keyhook.TriggerPostUserRegistration: registration,
		keyhook.TriggerPostChangePassword:   registration,
		keyhook.TriggerSendPhoneMessage:     extensibilityUserError + friendlyClass("SendPhoneMessageError"),
	}
}
