//! The Agent Client Protocol host: editors drive ferrule over ACP (`ferrule --acp`).
