-- Follow-up checklists are said in the reader's language: a directory's default lines are now
-- stored as catalog keys (followUp.*, src/i18n/catalogs/en.json) instead of their English text.
-- Rewrites the English defaults stored so far into their keys, in one statement; any other line (an
-- admin's own, from a JSON import) stays as written, in its place. Providers' directories get their
-- keys again at start anyway; this covers the built-in directory and imported ones.
UPDATE "directories" AS d
SET "follow_up" = (
  SELECT jsonb_agg(coalesce(m.key, line.value) ORDER BY line.n)
  FROM jsonb_array_elements_text(d."follow_up") WITH ORDINALITY AS line(value, n)
  LEFT JOIN (VALUES
    ('Give the user the temporary password privately; they must change it at first sign-in.', 'followUp.builtin.password'),
    ('Re-grant admin roles, approval roles and group memberships: they are not restored.', 'followUp.builtin.roles'),
    ('Check the department: it may have to be chosen again.', 'followUp.builtin.department'),
    ('Work handed to others while the account was deleted (approval tasks, documents) stays with them.', 'followUp.builtin.handedOver'),
    ('Third-party calendars are not restored.', 'followUp.builtin.calendars'),
    ('This is a new account: nothing of the old one''s data comes back.', 'followUp.recreate.newAccount'),
    ('Reset the user''s licence, assign a licence, then activate it.', 'followUp.recreate.licence'),
    ('Add the user to their groups again.', 'followUp.recreate.groups'),
    ('Reset the user''s password and give them the temporary password privately: a restore does not set a new one.', 'followUp.entra.password'),
    ('The mailbox comes back with the user: give it some time to reappear in Outlook and the Exchange admin center before you look into it.', 'followUp.entra.mailbox'),
    ('Check the user''s licences: users deleted in the Microsoft 365 admin center lose them first, so assign one if none came back.', 'followUp.entra.licences'),
    ('Restored licences count even when no seat is free: check that you are not using more than you bought.', 'followUp.entra.seats'),
    ('Addresses removed because another account holds them stay removed: add them back once they are free.', 'followUp.entra.addresses'),
    ('If only the mail is wanted, restore the mailbox instead of the user: in Exchange Online PowerShell, Get-Mailbox -SoftDeletedMailbox <name> shows its ExchangeGuid, then New-MailboxRestoreRequest -SourceMailbox <its ExchangeGuid> -TargetMailbox <mailbox> -AllowLegacyDNMismatch copies it into a mailbox.', 'followUp.entra.mailOnly'),
    ('Past the 30 days only a mailbox that was on hold is left: in Exchange Online PowerShell, Get-Mailbox -InactiveMailboxOnly <name> shows its ExchangeGuid, then New-MailboxRestoreRequest -SourceMailbox <its ExchangeGuid> -TargetMailbox <mailbox> -AllowLegacyDNMismatch copies it into a mailbox.', 'followUp.entra.pastWindow'),
    ('If Okta shows the user as Pending user action, they have no password yet: in the Okta Admin Console, open the user and send the activation email again (or reset the password) so they can set one.', 'followUp.okta.activation'),
    ('Reassign the apps the user had directly: deactivation unassigned them from every app. Apps assigned through groups come back with the group memberships Okta kept.', 'followUp.okta.apps'),
    ('App accounts that Okta deprovisioned on deactivation may have lost their data (mail, files): check them with the app''s owner.', 'followUp.okta.appData'),
    ('If the user no longer has the device they enrolled, reset their authenticators (More Actions → Reset Authenticators) so they enroll again at next sign-in.', 'followUp.okta.authenticators'),
    ('Check the user''s admin roles and groups, and add back any that group rules or imports removed.', 'followUp.okta.roles'),
    ('If the user was suspended or had their data transferred before the deletion, Google restores them suspended: reactivate them in the Admin console.', 'followUp.google.suspended'),
    ('If you assign licences by hand, assign the user''s licences again: only services with automatic licence assignment come back on their own.', 'followUp.google.licences'),
    ('Drive files transferred to another user before the deletion stay with that user: transfer them back if needed.', 'followUp.google.drive'),
    ('Check the organizational unit the user was restored into: its settings and apps apply to them now.', 'followUp.google.orgUnit'),
    ('The restore can take up to 24 hours to reach every Google service.', 'followUp.google.delay'),
    ('This is a new JumpCloud account with a new id: nothing of the old account''s data comes back.', 'followUp.jumpcloud.newAccount'),
    ('Give the user the temporary password privately; JumpCloud asks for a new one at first sign-in.', 'followUp.jumpcloud.password'),
    ('Add the user to their user groups again: group memberships are not re-created.', 'followUp.jumpcloud.groups'),
    ('Bind the user to their devices again and re-create their local account settings (sudo, SSH keys).', 'followUp.jumpcloud.devices'),
    ('Give the user access to their SSO applications, LDAP, RADIUS and other resources again.', 'followUp.jumpcloud.access'),
    ('Set up multi-factor authentication again: the old enrolment is gone.', 'followUp.jumpcloud.mfa'),
    ('Re-enter what Directory Insights did not record (job title, manager, phone numbers, custom attributes).', 'followUp.jumpcloud.attributes'),
    ('Lark does not restore the department: check the member''s department and move them if needed.', 'followUp.lark.department'),
    ('Re-grant administrator permissions, approval roles and common user groups: they are not restored.', 'followUp.lark.roles'),
    ('Dynamic groups come back only where the member matches the mapping rules again.', 'followUp.lark.dynamicGroups'),
    ('Documents, Wiki pages, Minutes, surveys and events transferred to someone else while the account was deleted stay with them.', 'followUp.lark.transferred'),
    ('Approval tasks in progress were handed to another member and are not returned.', 'followUp.lark.approvals'),
    ('Third-party calendars are not restored: the member must connect them again.', 'followUp.lark.calendars'),
    ('Check the member''s seat: Pro and Enterprise plans need a free seat for them.', 'followUp.lark.seat')
  ) AS m(text, key) ON m.text = line.value
)
WHERE jsonb_typeof(d."follow_up") = 'array' AND jsonb_array_length(d."follow_up") > 0;
