# Notifications: how the citizen is told, the app's phones, undelivered messages.

area-notifiche-link = Notifications: how we tell you
backoffice-notifiche-link = Undelivered notifications

notifiche-heading = Notifications
notifiche-intro = Choose how you want to know that we wrote to you. Our alerts never contain your data: only that there is a message for you and the link to your mailbox.
notifiche-saved = Preferences saved.
notifiche-errors-title = Please correct these errors:
notifiche-contacts-heading = The contacts you gave us
notifiche-contact-email = Email
notifiche-contact-mobile = Mobile
notifiche-contact-none = not given
notifiche-contacts-hint = To change your email or mobile number, contact an office or the contact center.
notifiche-devices-heading = Phones with the app
notifiche-devices-none = No phone. To get app notifications, log in to the app on your phone.
notifiche-device-since = since
notifiche-channels-legend = How do you want to be told
notifiche-channels-hint = You can choose more than one, or none: messages stay in your mailbox anyway.
notifiche-channel-email = Email
notifiche-channel-sms = SMS
notifiche-channel-push = App notification
notifiche-lang-legend = Language of the alerts
notifiche-lang-it = Italian (italiano)
notifiche-lang-en = English
notifiche-submit = Save preferences
notifiche-back = Back to your personal area
notifiche-error-no-email = We have no email address for you: untick “Email”.
notifiche-error-no-mobile = We have no mobile number for you: untick “SMS”.
notifiche-error-no-device = You have not set up the app on a phone yet: untick “App notification”, or log in to the app first.
notifiche-error-lang = Choose the language of the alerts: Italian or English.
notifiche-acting-not-allowed = Only the person concerned can choose how they are told.

notifiche-api-app-only = A phone can be registered only from the app.
notifiche-api-bad-token = The phone's token is missing or not valid (1 to 4096 characters, no spaces).
notifiche-api-bad-platform = The platform must be “android” or “ios”.
notifiche-api-bad-label = The phone's name can have at most 60 characters.
problem-dispositivo-non-valido = Phone details not valid

# The alerts: no personal data, only the link to the mailbox.
notifiche-alert-new-message-subject = you have a new message
notifiche-alert-new-message-text = You have a new message in your mailbox.
notifiche-alert-question-answered-subject = there is an answer for you
notifiche-alert-question-answered-text = There is an answer to your question in your mailbox.
notifiche-alert-application-status-subject = news about one of your applications
notifiche-alert-application-status-text = There is news about one of your applications in your mailbox.
notifiche-alert-read = To read it, log in to your personal area:
notifiche-alert-open = Open the mailbox
notifiche-alert-footer = Automatic message from { $institution }: do not reply. For your safety it contains none of your data. You can change how we tell you in your personal area, under Notifications.

# Back office
notifiche-bo-heading = Undelivered notifications
notifiche-bo-intro = Emails, SMS and app notifications that did not arrive: refused by the server or the gateway, or out of attempts. “Retry” puts them back in the queue; the action is recorded.
notifiche-bo-counts-caption = Messages by channel and state
notifiche-bo-dead-caption = Undelivered messages, newest first
notifiche-bo-col-channel = Channel
notifiche-bo-col-state = State
notifiche-bo-col-count = How many
notifiche-bo-col-created = Created
notifiche-bo-col-recipient = Recipient
notifiche-bo-col-attempts = Attempts
notifiche-bo-col-error = Last error
notifiche-bo-col-action = Action
notifiche-state-queued = queued
notifiche-state-sent = sent
notifiche-state-failed = refused
notifiche-bo-refused = Refused:
notifiche-bo-retry = Retry
notifiche-bo-empty = No undelivered message.
notifiche-bo-requeued = The message is back in the queue: it will go shortly.
notifiche-bo-no-text = This message cannot be sent again: after the refusal its text was deleted for safety. Ask the office that sent it to send it again.
notifiche-bo-no-text-short = Text deleted
notifiche-bo-not-dead = The message no longer needed sending again (already queued or sent).
