-- A delivery is claimed before the message goes out ('sending') and confirmed once the server has
-- accepted it ('sent'): two attempts of one job never send at the same time, and an attempt that
-- died mid-send is known by a 'sending' row older than any send can take.
ALTER TABLE queue.email_deliveries
    ADD COLUMN state text NOT NULL DEFAULT 'sent' CHECK (state IN ('sending', 'sent')),
    ADD COLUMN started_at timestamptz NOT NULL DEFAULT now(),
    ALTER COLUMN sent_at DROP NOT NULL,
    ALTER COLUMN sent_at DROP DEFAULT;
