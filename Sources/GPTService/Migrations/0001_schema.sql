COMMENT ON SCHEMA gpt IS 'Questions to the language model, with quotas and an answer cache. Owned by GPTService.';
