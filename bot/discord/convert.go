package discord

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"github.com/digestbot/digestbot/bot"
)

// noMentions never lets a message ping anyone: user text echoed back (a
// query containing @everyone) stays inert.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// request turns an interaction into a bot request.
func request(i *discordgo.InteractionCreate, roleName func(guildID, roleID string) string) (bot.Request, error) {
	req := bot.Request{GuildID: i.GuildID, ChannelID: i.ChannelID, Options: map[string]string{}}
	switch {
	case i.Member != nil && i.Member.User != nil:
		req.UserID, req.UserName = i.Member.User.ID, i.Member.User.Username
		req.Permissions = i.Member.Permissions
		for _, id := range i.Member.Roles {
			req.Roles = append(req.Roles, id)
			if name := roleName(i.GuildID, id); name != "" {
				req.Roles = append(req.Roles, name)
			}
		}
	case i.User != nil:
		req.UserID, req.UserName = i.User.ID, i.User.Username
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		data := i.ApplicationCommandData()
		req.Kind = bot.KindCommand
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			req.Kind = bot.KindAutocomplete
		}
		req.Command = data.Name
		for _, o := range data.Options {
			req.Options[o.Name] = optionString(o)
			if o.Focused {
				req.Focused = o.Name
			}
		}
	case discordgo.InteractionMessageComponent:
		data := i.MessageComponentData()
		req.Kind = bot.KindComponent
		req.CustomID = data.CustomID
		req.Values = data.Values
	default:
		return req, fmt.Errorf("unsupported interaction type %d", i.Type)
	}
	return req, nil
}

func optionString(o *discordgo.ApplicationCommandInteractionDataOption) string {
	switch v := o.Value.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(o.Value)
}

func embeds(in []bot.Embed) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, len(in))
	for _, e := range in {
		me := &discordgo.MessageEmbed{Title: e.Title, URL: e.URL, Description: e.Description, Color: e.Color}
		if e.Footer != "" {
			me.Footer = &discordgo.MessageEmbedFooter{Text: e.Footer}
		}
		if !e.Timestamp.IsZero() {
			me.Timestamp = e.Timestamp.UTC().Format("2006-01-02T15:04:05Z07:00")
		}
		for _, f := range e.Fields {
			me.Fields = append(me.Fields, &discordgo.MessageEmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		out = append(out, me)
	}
	return out
}

func components(rows []bot.Row) []discordgo.MessageComponent {
	out := make([]discordgo.MessageComponent, 0, len(rows))
	for _, row := range rows {
		var ar discordgo.ActionsRow
		for _, c := range row {
			switch c.Kind {
			case bot.Button:
				ar.Components = append(ar.Components, discordgo.Button{
					CustomID: c.CustomID, Label: c.Label, Style: discordgo.ButtonStyle(c.Style), Disabled: c.Disabled,
				})
			case bot.Select:
				var opts []discordgo.SelectMenuOption
				for _, o := range c.Options {
					opts = append(opts, discordgo.SelectMenuOption{Label: o.Label, Value: o.Value, Description: o.Description})
				}
				ar.Components = append(ar.Components, discordgo.SelectMenu{
					CustomID: c.CustomID, Placeholder: c.Placeholder, Options: opts, Disabled: c.Disabled,
				})
			}
		}
		out = append(out, ar)
	}
	return out
}

func files(in []bot.File) []*discordgo.File {
	var out []*discordgo.File
	for _, f := range in {
		out = append(out, &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)})
	}
	return out
}

func choices(in []bot.Choice) []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(in))
	for _, c := range in {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
	}
	return out
}

// commands declares the bot's slash commands to Discord.
func commands(specs []bot.CommandSpec) []*discordgo.ApplicationCommand {
	var out []*discordgo.ApplicationCommand
	for _, s := range specs {
		cmd := &discordgo.ApplicationCommand{Name: s.Name, Description: s.Description, Type: discordgo.ChatApplicationCommand}
		for _, o := range s.Options {
			opt := &discordgo.ApplicationCommandOption{
				Name: o.Name, Description: o.Description, Type: discordgo.ApplicationCommandOptionType(o.Type),
				Required: o.Required, Autocomplete: o.Autocomplete, MaxLength: o.MaxLength,
			}
			if o.MinLength > 0 {
				n := o.MinLength
				opt.MinLength = &n
			}
			for _, c := range o.Choices {
				opt.Choices = append(opt.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
			}
			cmd.Options = append(cmd.Options, opt)
		}
		out = append(out, cmd)
	}
	return out
}
