package ecrm

// Life stages, from LifeStage. The client 360 shows them, the managers'
// reports count clients by them and the needs analysis (crosssell) starts
// from them, so there is one definition, here.
const (
	LifeStageUnknown       = "unknown"
	LifeStageStartingOut   = "starting_out"
	LifeStageSingle        = "single_adult"
	LifeStageCouple        = "couple"
	LifeStageFamily        = "family"
	LifeStagePreRetirement = "pre_retirement"
	LifeStageRetired       = "retired"
)

// LifeStage places a client in a stage of life from age (nil when the birth
// date is not known), marital status, dependants and employment:
//
//	retired        retired, or 65 and older
//	pre_retirement 55 to 64
//	starting_out   a student, or younger than 25
//	family         with dependants
//	couple         married or in a partnership, no dependants
//	single_adult   anyone else of known age
//	unknown        no birth date and nothing above applies
func LifeStage(age *int, maritalStatus string, dependants int, employment string) string {
	switch {
	case employment == "retired" || (age != nil && *age >= 65):
		return LifeStageRetired
	case age != nil && *age >= 55:
		return LifeStagePreRetirement
	case employment == "student" || (age != nil && *age < 25):
		return LifeStageStartingOut
	case dependants > 0:
		return LifeStageFamily
	case maritalStatus == "married" || maritalStatus == "partnership":
		return LifeStageCouple
	case age != nil || maritalStatus != "":
		return LifeStageSingle
	}
	return LifeStageUnknown
}
