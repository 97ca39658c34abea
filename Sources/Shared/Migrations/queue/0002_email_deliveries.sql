-- One row per email job whose message the SMTP server accepted: a job that runs again after a
-- crash finds its row and does not send a second message.
CREATE TABLE queue.email_deliveries (
    job_id bigint PRIMARY KEY,
    recipient text NOT NULL,
    template text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
);
