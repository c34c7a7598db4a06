"""The batch AI API (ai-api.md §3): one route per declared pipeline (lpgw.pipelines), so a
tenth pipeline is one more declaration, not more code here."""
