"""The district's volunteers: in every dong (more where more households live), with skills, availability, their
consent, and the hours they gave this year, recorded by an officer of their dong."""

from __future__ import annotations

from datetime import timedelta

from dolbom.resources.models import Skill, Volunteer, VolunteerHours, VolunteerSkill
from dolbom.synth import names
from dolbom.synth.resources import catalogue as data
from dolbom.synth.resources.common import VOLUNTEERS, DistrictPart
from dolbom.synth.resources.draw import DAY, Draw


class Volunteers(DistrictPart):
    def run(self) -> None:
        self.volunteers(self.draw(VOLUNTEERS))

    def volunteers(self, draw: Draw) -> None:
        """Volunteers of every dong (more where more households live), with skills, availability and the hours
        they gave this year, each recorded by an officer of their dong."""
        if not self.d.dongs:
            return
        n = self.count(40, len(self.d.dongs))
        weights = [self.d.households_by_dong.get(d.code, 0) + 1 for d in self.d.dongs]
        dongs = list(self.d.dongs) + [draw.pick(self.d.dongs, weights) for _ in range(n - len(self.d.dongs))]
        skills = list(Skill.values)
        skill_weights = [2, 1.5, 0.5, 0.3, 2, 2.5, 3, 1, 0.5]
        for number, (name, dong) in enumerate(zip(names.korean_name_list(draw.rng, n), dongs, strict=True), 1):
            chosen = sorted({draw.pick(skills, skill_weights) for _ in range(draw.between(1, 2))})
            consent = self.today - timedelta(days=draw.between(30, 1000))
            recorder = self.d.officers.get(dong.code, self.recorder)
            volunteer = Volunteer(
                district=self.d.area, dong=dong, name=name,
                phone=f"010-0{draw.between(100, 999)}-{draw.between(0, 9999):04d}",
                portal_id=f"hb{self.index + 1}{number:05d}", availability=draw.pick(data.AVAILABILITY),
                consent_on=consent, active=draw.chance(0.9), created_by=recorder,
            )  # fmt: skip
            self.rows.volunteers.append(volunteer)
            self.rows.skills.extend(VolunteerSkill(volunteer=volunteer, skill=skill) for skill in chosen)
            if not volunteer.active:
                continue
            first = max(consent, self.start)
            for _ in range(draw.between(1, 6)):
                self.rows.hours.append(
                    VolunteerHours(
                        volunteer=volunteer, district=self.d.area, dong=dong,
                        on=draw.day(first, self.today - DAY), minutes=draw.pick((60, 90, 120, 180, 240)),
                        activity=draw.pick(data.ACTIVITIES[draw.pick(chosen)]), recorded_by=recorder,
                    )
                )  # fmt: skip
