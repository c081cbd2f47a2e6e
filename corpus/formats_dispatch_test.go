package corpus

func parseFormatFile(name string, data []byte) (Article, error) { return ParseHTML(name, data, "") }
