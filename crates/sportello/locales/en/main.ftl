## Sportello: user interface text in English.
## Italian (locales/it/main.ftl) is the primary language; keep the same ids.
## Style: short sentences, plain words, speak to the reader as "you".

## Language

lang-name = English
# Text of the link to the Italian version: written in the target language.
lang-switch = Italiano

## Page structure

skip-to-content = Skip to main content
skip-to-footer = Skip to footer
site-tagline = Your online service desk
login = Log in
nav-label = Main menu
nav-home = Home
nav-services = Services
nav-help = Help
footer-links-title = About this website
footer-accessibility = Accessibility statement
footer-privacy = Privacy and cookies
footer-legal = Legal notice
footer-api = API for developers
footer-copyright = Unless stated otherwise, you can reuse the content of this website if you credit the source (CC BY 4.0 licence).

## Short page titles (title element)

page-home-title = Online service desk
page-accessibility-title = Accessibility statement
page-privacy-title = Privacy and cookies
page-legal-title = Legal notice
page-help-title = Help
page-services-title = Services
page-api-docs-title = API documentation

## Home page

home-title = Welcome to the online service desk
home-lead = Here you can do from home many of the things you would do at our offices, at any time of day.
home-login-title = Go to your personal area
home-login-text = To see your data and your applications, log in with your digital identity: SPID, Electronic Identity Card (CIE) or National Services Card (CNS).
home-login-cta = Log in to your personal area
home-do-title = What you can do here
home-do-apply-title = Apply for something
home-do-apply-text = Apply for a benefit, an allowance or a grant without going to our offices.
home-do-track-title = Follow your applications
home-do-track-text = See where your application is and whether a document is missing.
home-do-mailbox-title = Read your messages
home-do-mailbox-text = Find all the letters and notices we sent you in one place.
home-do-appointment-title = Book an appointment
home-do-appointment-text = Choose a day and time to talk to us, at our offices or by phone.
home-do-pay-title = Pay
home-do-pay-text = Pay contributions and other amounts due safely with pagoPA.
home-do-certificates-title = Download certificates
home-do-certificates-text = Download certificates, statements and other documents about you.
home-help-title = Do you need help?
home-help-text = You do not have to do everything on your own. Someone can help you, or do things for you:
home-help-desk = the staff of the Punto Utente Evoluto help desk, at one of our offices;
home-help-patronato = a patronato (a free advice and support centre);
home-help-trusted = a person you trust, with a proxy.
home-help-link = Find out all the ways to get help

## Help box on information pages

help-aside-title = Do you need help?
help-aside-text = If something is not clear, you can get help in person, from a patronato or from a person you trust.
help-aside-link = Find out how to get help

## Page: Accessibility statement (/accessibilita)

accessibility-heading = Accessibility statement
accessibility-p1 = We want everyone to be able to use this website: including people who use a screen reader, people who use only a keyboard and people who need to enlarge the text.
accessibility-p2 = This statement follows the model of the Agency for Digital Italy (AgID) and covers this website.
accessibility-p3 = The website is designed to meet the AgID accessibility guidelines and the international WCAG 2.1 rules at level AA. We check it at every change, with automated tools and with checks made by people.
accessibility-p4 = This statement was last reviewed on 23 November 2026.
accessibility-p5 = Have you found a part of the site you cannot use? Tell us with the form below: say which page and describe the problem. If you leave your email, we will answer within 30 days.
accessibility-p6 = If you do not get a reply within 30 days, or you are not happy with the reply, you can contact the Digital Ombudsman (Difensore civico per il digitale) at AgID.
accessibility-p7 = If you cannot use the website, you can always get the same service at one of our offices, by phone or through a patronato.

## Page: Privacy (/privacy)

privacy-heading = Privacy and cookies
privacy-p1 = The controller of your data is the institution that runs this website, shown at the top of the page. We process data under the EU General Data Protection Regulation (GDPR, Regulation (EU) 2016/679).
privacy-p2 = We use your personal data only to provide the services you ask for and to meet our legal obligations.
privacy-p3 = This website uses only technical cookies, which it needs to work: a session cookie, which keeps you logged in, and a cookie that remembers the language you chose. These cookies do not need your consent.
privacy-p4 = We do not use profiling cookies, tracking tools or statistics from other companies. The website does not load anything from other websites: text, fonts, icons and scripts all come from here.
privacy-p5 = You can ask at any time to see, correct or delete your data, within the limits set by law. To do so, or to write to the Data Protection Officer, use the details on the institution's contacts page.
privacy-p6 = If you think your data is not being processed correctly, you can complain to the Italian Data Protection Authority (Garante per la protezione dei dati personali).

## Page: Legal notice (/note-legali)

legal-heading = Legal notice
legal-p1 = The content of this website is published by the institution shown at the top of the page.
legal-p2 = Unless stated otherwise, you can reuse the text and data on this website if you credit the source, under the Creative Commons Attribution 4.0 International licence (CC BY 4.0).
legal-p3 = The information on this website is there to guide you. Your rights and obligations are set by the official decisions and letters you receive from the institution.
legal-p4 = The software behind this service desk is open source: its source code is public, and anyone can check it and reuse it.

## Page: Help (/aiuto)

help-heading = How to get help
help-p1 = If you have trouble with this website, do not worry: there are several ways to get help, even without using a computer.
help-p2 = In person: go to the Punto Utente Evoluto help desk at one of our offices. The staff will help you apply and use the online services.
help-p3 = Through a patronato: patronati give free help with pensions, allowances and other benefits, and can send applications for you.
help-p4 = With a person you trust: you can give a proxy to a relative or another person you trust, who can then use the services for you. You ask the institution for the proxy.
help-p5 = To enter your personal area you need a digital identity: SPID, Electronic Identity Card (CIE) or National Services Card (CNS).
help-p6 = If a page shows you an error, it also shows a reference code. When you ask for help, give that code: it helps us understand what happened.

## Page: Services (/servizi)

services-heading = All services

## Error pages

error-not-found-title = Page not found
error-not-found-detail = The page you are looking for does not exist or has moved. Check the address, or start again from the home page.
error-bad-request-title = Invalid request
error-bad-request-detail = We could not understand the request. Go back and try again.
error-too-large-title = Too much data
error-too-large-detail = You sent too much data at once. If you are uploading a file, try a smaller one.
error-method-title = Action not allowed
error-method-detail = This page does not allow the action you asked for. Go back and use the buttons and links on the page.
error-unavailable-title = Service not available right now
error-unavailable-detail = The service is stopped for a short time, for maintenance or because there are too many requests. Try again in a few minutes.
error-internal-title = Something went wrong
error-internal-detail = Something went wrong on our side: it is not your fault. Try again in a few minutes. If the problem continues, ask for help.
error-what-now = What you can do
error-go-home = Go back to the home page
error-get-help = Find out how to get help
error-reference-hint = If you ask for help, give this code: it helps us find the problem.
error-reference = Reference code:
error-code = Error code:

## API error titles (application/problem+json)

problem-non-trovato = Resource not found
problem-richiesta-illeggibile = Unreadable request
problem-dati-non-validi = Invalid data
problem-non-autenticato = Login required
problem-non-consentito = Action not allowed
problem-troppo-grande = Request too large
problem-metodo-non-consentito = Method not allowed
problem-non-disponibile = Service unavailable
problem-errore-interno = Internal error
problem-troppe-richieste = Too many requests

## API documentation (/api/v1/docs)

api-docs-title = API documentation
api-docs-lead = The APIs let other programs, for example those of a patronato or a tax assistance centre (CAF), use the services of this service desk. Here you can find every available operation.
api-docs-download = Download the OpenAPI specification
api-docs-contents = Available operations
api-docs-empty = There are no published operations at the moment.
api-docs-tag = Group:
api-docs-responses = Possible responses
api-docs-status = Code
api-docs-description = Description

# Errors added with forms
error-forbidden-title = You cannot open this page
error-forbidden-detail = To see this page you need to log in, or you do not have the necessary permissions.
error-csrf-title = This page has expired
error-csrf-detail = To protect your data, the form you sent is no longer valid. Go back, reload the page and send it again.
problem-tempo-scaduto = The request took too long
problem-modulo-scaduto = The form is no longer valid

# Accessibility feedback form
feedback-heading = Report an accessibility problem
feedback-intro = Tell us what you cannot do and on which page. If you want an answer, leave your email address: it is optional.
feedback-errors-title = Please check these fields
feedback-errors-title-prefix = Error:
feedback-description-label = What does not work? (required)
feedback-description-hint = For example: "I cannot press the Send button with the keyboard". At least 10 characters.
feedback-page-label = On which page?
feedback-page-hint = Copy the address of the page, or leave it empty.
feedback-email-label = Your email
feedback-email-hint = We write to you only to answer this report.
feedback-submit = Send the report
field-descrizione-breve = Describe the problem in at least 10 characters.
field-descrizione-lunga = The description is too long: use at most 4000 characters.
field-descrizione-non-valida = The description contains characters that cannot be saved. Remove them and try again.
field-pagina-non-valida = The page address is not valid. Copy it from the browser's address bar, or leave it empty.
field-email-non-valida = The email address is not valid. Check that you typed it correctly, for example name@example.com.
feedback-thanks-title = Thank you, we have received your report
feedback-thanks-text = We will look into it and fix the problem as soon as possible. If you left your email, we will answer within 30 days.
feedback-thanks-next = In the meantime, if you cannot use a service, you can get it at one of our offices, by phone or through a patronato.

# Login page (until online login is switched on)
login-heading = Log in to online services
