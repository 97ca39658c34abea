-- How far a long job is (0 to 1), as its worker last reported with the lease heartbeat: operators
-- see a transcode move, and a stuck one stands out.
ALTER TABLE queue.jobs ADD COLUMN progress real CHECK (progress BETWEEN 0 AND 1);
