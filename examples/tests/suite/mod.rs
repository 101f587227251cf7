mod custom_tool;
mod embed_agent;
