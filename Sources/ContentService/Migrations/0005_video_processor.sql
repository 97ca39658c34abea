-- The Workers' thumbnail and transcode jobs record their outputs on the video row, through the
-- group role deploy/postgres/roles.sql creates (absent from a test's scratch database).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'video_processor') THEN
        GRANT USAGE ON SCHEMA content TO video_processor;
        GRANT SELECT, UPDATE ON content.videos TO video_processor;
    END IF;
END
$$;
